// Settings → Network: the SOCKS5 proxy (Tor, an SSH tunnel) every relay connection goes through.
// Checked here with the engine's own parser before it is sent; saving moves the running connection.
import { useState, type FormEvent } from 'react';
import { parseProxyUrl, proxyLabel } from '../../common/proxyUrl';

export interface NetworkSettingsProps {
  /** The saved proxy address, or null for a direct connection. */
  proxyUrl: string | null;
  busy: boolean;
  onSave: (proxyUrl: string | null) => void;
}

export function NetworkSettings({ proxyUrl, busy, onSave }: NetworkSettingsProps) {
  const [draft, setDraft] = useState(proxyUrl ?? '');
  const [touched, setTouched] = useState(false);
  const text = draft.trim();
  const parsed = text === '' ? null : parseProxyUrl(text);
  const problem = parsed !== null && !parsed.ok ? parsed.problem : null;
  const unchanged = (text === '' ? null : text) === proxyUrl;

  function submit(event: FormEvent) {
    event.preventDefault();
    setTouched(true);
    if (problem !== null || unchanged) return;
    onSave(text === '' ? null : text);
  }

  return (
    <form className="network-settings" onSubmit={submit} aria-labelledby="network-title">
      <h3 id="network-title">Network</h3>
      <p className="hint" role="status">
        {proxyUrl === null
          ? 'Wisp connects to the relay directly: the relay and your network see your IP address.'
          : `Every relay connection goes through the proxy ${labelOf(proxyUrl)}; if it is down, Wisp waits and never connects directly.`}
      </p>
      <label>
        SOCKS5 proxy
        <input
          value={draft}
          disabled={busy}
          placeholder="socks5h://127.0.0.1:9050"
          autoComplete="off"
          spellCheck={false}
          aria-invalid={touched && problem !== null}
          aria-describedby="proxy-hint"
          onChange={(e) => {
            setDraft(e.target.value);
            setTouched(false);
          }}
          onBlur={() => setTouched(true)}
        />
      </label>
      <small id="proxy-hint" role={touched && problem !== null ? 'alert' : undefined}>
        {touched && problem !== null
          ? `${capitalised(problem)}. Write it as socks5h://HOST:PORT (Tor: socks5h://127.0.0.1:9050).`
          : 'For Tor use socks5h://127.0.0.1:9050 (Tor Browser: 9150): socks5h lets Tor look up the relay, so no DNS query leaves this computer. Leave empty for a direct connection. A user name and password in the address are kept unencrypted in the preferences file.'}
      </small>
      <button type="submit" disabled={busy || unchanged || problem !== null}>
        {text === '' ? 'Connect directly' : 'Save proxy'}
      </button>
    </form>
  );
}

/** Scheme, host and port of a saved address: the credentials are not repeated on screen. */
function labelOf(proxyUrl: string): string {
  const parsed = parseProxyUrl(proxyUrl);
  return parsed.ok ? proxyLabel(parsed.proxy) : proxyUrl;
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
