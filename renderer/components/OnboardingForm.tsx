// Creating an anonymous account: a username and a relay, no phone number or e-mail; and where the
// database key will live (the OS keychain when one works, or a passphrase the user types).
import { useState, type FormEvent } from 'react';
import type { KeystoreCapability, KeystoreKind } from '../../common/ipc';

export interface OnboardingValues {
  username: string;
  relayUrl: string;
  keystore: KeystoreKind;
  passphrase?: string;
}

export interface OnboardingFormProps {
  keystores: KeystoreCapability[];
  defaultRelayUrl: string | null;
  busy: boolean;
  onSubmit: (values: OnboardingValues) => void;
}

const KEYSTORE_LABELS: Record<KeystoreKind, string> = {
  keychain: 'OS keychain',
  safeStorage: 'OS keychain via Electron',
  passphrase: 'A passphrase I type',
};

export function OnboardingForm({ keystores, defaultRelayUrl, busy, onSubmit }: OnboardingFormProps) {
  const firstAvailable = keystores.find((k) => k.available)?.kind ?? 'passphrase';
  const [username, setUsername] = useState('');
  const [relayUrl, setRelayUrl] = useState(defaultRelayUrl ?? '');
  const [keystore, setKeystore] = useState<KeystoreKind>(firstAvailable);
  const [passphrase, setPassphrase] = useState('');
  const [confirm, setConfirm] = useState('');

  const needsPassphrase = keystore === 'passphrase';
  const mismatch = needsPassphrase && confirm.length > 0 && passphrase !== confirm;
  const valid =
    /^[A-Za-z0-9_.-]{3,32}$/.test(username.trim()) &&
    /^wss?:\/\/.+/.test(relayUrl.trim()) &&
    (!needsPassphrase || (passphrase.length >= 8 && passphrase === confirm));

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!valid || busy) return;
    onSubmit({
      username: username.trim(),
      relayUrl: relayUrl.trim(),
      keystore,
      ...(needsPassphrase ? { passphrase } : {}),
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
      <small id="username-hint">
        3–32 letters, digits, dots, dashes or underscores. You can change it later.
      </small>
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
      <fieldset>
        <legend>Protect the local database key with</legend>
        {keystores.map((k) => (
          <label key={k.kind} className={k.available ? undefined : 'unavailable'}>
            <input
              type="radio"
              name="keystore"
              value={k.kind}
              checked={keystore === k.kind}
              disabled={!k.available}
              onChange={() => setKeystore(k.kind)}
            />
            {KEYSTORE_LABELS[k.kind]}
            {!k.available && k.reason !== undefined && <small> — {k.reason}</small>}
          </label>
        ))}
      </fieldset>
      {needsPassphrase && (
        <>
          <label>
            Passphrase
            <input
              type="password"
              value={passphrase}
              onChange={(e) => setPassphrase(e.target.value)}
              minLength={8}
            />
          </label>
          <label>
            Passphrase again
            <input type="password" value={confirm} onChange={(e) => setConfirm(e.target.value)} />
          </label>
          {mismatch && <small role="alert">The passphrases differ.</small>}
          <small>There is no way to recover a forgotten passphrase.</small>
        </>
      )}
      <button type="submit" disabled={!valid || busy}>
        {busy ? 'Creating…' : 'Create account'}
      </button>
    </form>
  );
}
