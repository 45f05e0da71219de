// Creating an anonymous account: a username and a relay, no phone number or e-mail; and where the
// database key will live (the OS keychain when one works, or a passphrase the user types); and,
// for someone who must not show the relay their IP address, a SOCKS5 proxy (Tor) that carries every
// connection from the very first one — registration included.
import { useState, type FormEvent } from 'react';
import { parseProxyUrl } from '../../common/proxyUrl';
import type { KeystoreCapability, KeystoreKind } from '../../common/ipc';
import { DeviceKeyFields, useDeviceKey } from './DeviceKeyFields';
import { USERNAME_PATTERN, USERNAME_RULE } from '../lib/username';

export interface OnboardingValues {
  username: string;
  relayUrl: string;
  keystore: KeystoreKind;
  passphrase?: string;
  /** A SOCKS5 proxy to save before the account is created, so registration goes through it. */
  proxyUrl?: string;
}

export interface OnboardingFormProps {
  keystores: KeystoreCapability[];
  defaultRelayUrl: string | null;
  busy: boolean;
  onSubmit: (values: OnboardingValues) => void;
}

export function OnboardingForm({ keystores, defaultRelayUrl, busy, onSubmit }: OnboardingFormProps) {
  const [username, setUsername] = useState('');
  const [relayUrl, setRelayUrl] = useState(defaultRelayUrl ?? '');
  const [proxyUrl, setProxyUrl] = useState('');
  const [proxyTouched, setProxyTouched] = useState(false);
  const deviceKey = useDeviceKey(keystores);
  const proxyText = proxyUrl.trim();
  const proxyParse = proxyText === '' ? null : parseProxyUrl(proxyText);
  const proxyProblem = proxyParse !== null && !proxyParse.ok ? proxyParse.problem : null;
  const valid =
    USERNAME_PATTERN.test(username.trim()) &&
    /^wss?:\/\/.+/.test(relayUrl.trim()) &&
    deviceKey.ready &&
    proxyProblem === null;

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!valid || busy) return;
    onSubmit({
      username: username.trim(),
      relayUrl: relayUrl.trim(),
      ...deviceKey.values(),
      ...(proxyText === '' ? {} : { proxyUrl: proxyText }),
    });
  }

  return (
    <form className="onboarding card" onSubmit={submit} aria-labelledby="onboarding-title">
      <h1 id="onboarding-title">Create your Wisp account</h1>
      <p>No phone number, no e-mail. Your account is a key made on this device.</p>
      <label>
        Username
        <input
          value={username}
          onChange={(e) => setUsername(e.target.value)}
          autoComplete="off"
          spellCheck={false}
          minLength={3}
          maxLength={32}
          required
          aria-describedby="username-hint"
        />
      </label>
      <small id="username-hint">{USERNAME_RULE}. You can change it later.</small>
      <label>
        Relay
        <input
          value={relayUrl}
          onChange={(e) => setRelayUrl(e.target.value)}
          placeholder="wss://relay.example.org"
          autoComplete="off"
          spellCheck={false}
          required
        />
      </label>
      <details className="onboarding-proxy" open={proxyText !== '' || undefined}>
        <summary>Hide your IP address from the relay (proxy)</summary>
        <label>
          SOCKS5 proxy
          <input
            value={proxyUrl}
            onChange={(e) => {
              setProxyUrl(e.target.value);
              setProxyTouched(false);
            }}
            onBlur={() => setProxyTouched(true)}
            placeholder="socks5h://127.0.0.1:9050"
            autoComplete="off"
            spellCheck={false}
            aria-invalid={proxyTouched && proxyProblem !== null}
            aria-describedby="onboarding-proxy-hint"
          />
        </label>
        <small id="onboarding-proxy-hint" role={proxyTouched && proxyProblem !== null ? 'alert' : undefined}>
          {proxyTouched && proxyProblem !== null
            ? `${proxyProblem.charAt(0).toUpperCase()}${proxyProblem.slice(1)}. Write it as socks5h://HOST:PORT.`
            : 'Optional. Every connection, from creating this account on, goes through it; for Tor use socks5h://127.0.0.1:9050. You can change it later in Settings → Network.'}
        </small>
      </details>
      <DeviceKeyFields keystores={keystores} state={deviceKey} name="keystore" passphraseLabel="Passphrase" />
      <button type="submit" disabled={!valid || busy}>
        {busy ? 'Creating…' : 'Create account'}
      </button>
    </form>
  );
}
