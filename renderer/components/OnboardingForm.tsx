// Creating an anonymous account: a username and a relay, no phone number or e-mail; and where the
// database key will live (the OS keychain when one works, or a passphrase the user types).
import { useState, type FormEvent } from 'react';
import type { KeystoreCapability, KeystoreKind } from '../../common/ipc';
import { DeviceKeyFields, useDeviceKey } from './DeviceKeyFields';
import { USERNAME_PATTERN, USERNAME_RULE } from '../lib/username';

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

export function OnboardingForm({ keystores, defaultRelayUrl, busy, onSubmit }: OnboardingFormProps) {
  const [username, setUsername] = useState('');
  const [relayUrl, setRelayUrl] = useState(defaultRelayUrl ?? '');
  const deviceKey = useDeviceKey(keystores);
  const valid =
    USERNAME_PATTERN.test(username.trim()) && /^wss?:\/\/.+/.test(relayUrl.trim()) && deviceKey.ready;

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!valid || busy) return;
    onSubmit({
      username: username.trim(),
      relayUrl: relayUrl.trim(),
      ...deviceKey.values(),
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
      <DeviceKeyFields keystores={keystores} state={deviceKey} name="keystore" passphraseLabel="Passphrase" />
      <button type="submit" disabled={!valid || busy}>
        {busy ? 'Creating…' : 'Create account'}
      </button>
    </form>
  );
}
