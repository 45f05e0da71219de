// How this device protects its database key, as onboarding and restoring both ask it: the keystore
// choice (the OS keychain when one works, or a passphrase) and, for a passphrase, the passphrase
// typed twice. useDeviceKey holds the choice; DeviceKeyFields draws it.
import { useState } from 'react';
import type { KeystoreCapability, KeystoreKind } from '../../common/ipc';

const KEYSTORE_LABELS: Record<KeystoreKind, string> = {
  keychain: 'OS keychain',
  safeStorage: 'OS keychain via Electron',
  passphrase: 'A passphrase I type',
};

/** The shortest passphrase the forms accept (the engine checks again). */
export const MIN_PASSPHRASE = 8;

export interface DeviceKey {
  keystore: KeystoreKind;
  setKeystore: (kind: KeystoreKind) => void;
  passphrase: string;
  setPassphrase: (value: string) => void;
  confirm: string;
  setConfirm: (value: string) => void;
  needsPassphrase: boolean;
  /** Both passphrases typed and different: said at once, before submitting. */
  mismatch: boolean;
  /** The choice is complete: a keystore, or a long enough passphrase typed the same twice. */
  ready: boolean;
  /** What the form submits: the keystore, and the passphrase when that is the keystore. */
  values: () => { keystore: KeystoreKind; passphrase?: string };
}

export function useDeviceKey(keystores: KeystoreCapability[]): DeviceKey {
  const [keystore, setKeystore] = useState<KeystoreKind>(
    keystores.find((k) => k.available)?.kind ?? 'passphrase',
  );
  const [passphrase, setPassphrase] = useState('');
  const [confirm, setConfirm] = useState('');
  const needsPassphrase = keystore === 'passphrase';
  return {
    keystore,
    setKeystore,
    passphrase,
    setPassphrase,
    confirm,
    setConfirm,
    needsPassphrase,
    mismatch: needsPassphrase && confirm.length > 0 && passphrase !== confirm,
    ready: !needsPassphrase || (passphrase.length >= MIN_PASSPHRASE && passphrase === confirm),
    values: () => ({ keystore, ...(needsPassphrase ? { passphrase } : {}) }),
  };
}

export interface DeviceKeyFieldsProps {
  keystores: KeystoreCapability[];
  state: DeviceKey;
  /** The radio group's name: unique per form. */
  name: string;
  /** "Passphrase" at onboarding; "Passphrase for this device" when restoring (the backup has one too). */
  passphraseLabel: string;
  disabled?: boolean;
}

export function DeviceKeyFields({ keystores, state, name, passphraseLabel, disabled }: DeviceKeyFieldsProps) {
  return (
    <>
      <fieldset disabled={disabled}>
        <legend>Protect the local database key with</legend>
        {keystores.map((k) => (
          <label key={k.kind} className={k.available ? undefined : 'unavailable'}>
            <input
              type="radio"
              name={name}
              value={k.kind}
              checked={state.keystore === k.kind}
              disabled={!k.available}
              onChange={() => state.setKeystore(k.kind)}
            />
            <span className="option-text">
              {KEYSTORE_LABELS[k.kind]}
              {!k.available && k.reason !== undefined && <small>{k.reason}</small>}
            </span>
          </label>
        ))}
      </fieldset>
      {state.needsPassphrase && (
        <>
          <label>
            {passphraseLabel}
            <input
              type="password"
              value={state.passphrase}
              disabled={disabled}
              minLength={MIN_PASSPHRASE}
              autoComplete="new-password"
              onChange={(e) => state.setPassphrase(e.target.value)}
            />
          </label>
          <label>
            {passphraseLabel} again
            <input
              type="password"
              value={state.confirm}
              disabled={disabled}
              autoComplete="new-password"
              onChange={(e) => state.setConfirm(e.target.value)}
            />
          </label>
          {state.mismatch && <small role="alert">The passphrases differ.</small>}
          <small>There is no way to recover a forgotten passphrase.</small>
        </>
      )}
    </>
  );
}
