// Unlocking the local database: a passphrase when that protects the key, otherwise one button
// that asks the OS keychain.
import { useState, type FormEvent } from 'react';
import type { KeystoreKind } from '../../common/ipc';

export interface UnlockFormProps {
  keystore: KeystoreKind;
  busy: boolean;
  onUnlock: (passphrase: string | undefined) => void;
}

export function UnlockForm({ keystore, busy, onUnlock }: UnlockFormProps) {
  const [passphrase, setPassphrase] = useState('');
  const needsPassphrase = keystore === 'passphrase';
  function submit(event: FormEvent) {
    event.preventDefault();
    if (busy || (needsPassphrase && passphrase.length === 0)) return;
    onUnlock(needsPassphrase ? passphrase : undefined);
    setPassphrase('');
  }
  return (
    <form className="unlock card" onSubmit={submit} aria-labelledby="unlock-title">
      <h1 id="unlock-title">Wisp is locked</h1>
      {needsPassphrase ? (
        <label>
          Passphrase
          <input
            type="password"
            value={passphrase}
            onChange={(e) => setPassphrase(e.target.value)}
            autoFocus
          />
        </label>
      ) : (
        <p>The key to your messages is in the OS keychain.</p>
      )}
      <button type="submit" disabled={busy || (needsPassphrase && passphrase.length === 0)}>
        {busy ? 'Unlocking…' : 'Unlock'}
      </button>
    </form>
  );
}
