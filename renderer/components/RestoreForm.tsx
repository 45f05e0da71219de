// Onboarding → "Restore from a backup": the backup file, what opens it (its passphrase or recovery
// key), and how this device protects the restored profile's database key, as at onboarding. Pure:
// the container runs the import and shows its progress and typed refusals.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { BackupProgressView, KeystoreCapability, KeystoreKind } from '../../common/ipc';
import type { UiError } from '../lib/uiError';
import { BackupPathField } from './BackupPathField';
import { BackupProgress } from './BackupProgress';
import { ErrorNote } from './ErrorNote';

export interface RestoreValues {
  path: string;
  key: { kind: 'passphrase'; passphrase: string } | { kind: 'recoveryKey'; recoveryKey: string };
  keystore: KeystoreKind;
  passphrase?: string;
}

export interface RestoreFormProps {
  keystores: KeystoreCapability[];
  pathMode: 'dialog' | 'field';
  path: string;
  /** Non-null while the restore runs. */
  progress: BackupProgressView | null;
  running: boolean;
  error: UiError | null;
  onPathChange: (path: string) => void;
  onChoosePath: () => void;
  onSubmit: (values: RestoreValues) => void;
  onCancel: () => void;
  onBack: () => void;
}

const KEYSTORE_LABELS: Record<KeystoreKind, string> = {
  keychain: 'OS keychain',
  safeStorage: 'OS keychain via Electron',
  passphrase: 'A passphrase I type',
};

export function RestoreForm(props: RestoreFormProps) {
  const { keystores, running } = props;
  const [keyKind, setKeyKind] = useState<RestoreValues['key']['kind']>('passphrase');
  const [backupPassphrase, setBackupPassphrase] = useState('');
  const [recoveryKey, setRecoveryKey] = useState('');
  const [keystore, setKeystore] = useState<KeystoreKind>(
    keystores.find((k) => k.available)?.kind ?? 'passphrase',
  );
  const [passphrase, setPassphrase] = useState('');
  const [confirm, setConfirm] = useState('');

  // A refusal appears below the long form: bring it into view, or a small window would hide it.
  const errorRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (props.error !== null) errorRef.current?.scrollIntoView?.({ block: 'nearest' });
  }, [props.error]);

  const needsPassphrase = keystore === 'passphrase';
  const mismatch = needsPassphrase && confirm.length > 0 && passphrase !== confirm;
  const valid =
    props.path.trim() !== '' &&
    (keyKind === 'passphrase' ? backupPassphrase.length > 0 : recoveryKey.trim().length > 0) &&
    (!needsPassphrase || (passphrase.length >= 8 && passphrase === confirm));

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!valid || running) return;
    props.onSubmit({
      path: props.path.trim(),
      key:
        keyKind === 'passphrase'
          ? { kind: 'passphrase', passphrase: backupPassphrase }
          : { kind: 'recoveryKey', recoveryKey: recoveryKey.trim() },
      keystore,
      ...(needsPassphrase ? { passphrase } : {}),
    });
  }

  return (
    <form className="restore card" onSubmit={submit} aria-labelledby="restore-title">
      <h1 id="restore-title">Restore from a backup</h1>
      <p>
        Bring your account, contacts and conversations to this device. Once it connects here, the account
        stops working on the device the backup came from.
      </p>
      <BackupPathField
        mode={props.pathMode}
        label="Backup file"
        path={props.path}
        disabled={running}
        onPathChange={props.onPathChange}
        onChoose={props.onChoosePath}
      />
      <fieldset disabled={running}>
        <legend>The backup opens with</legend>
        <label>
          <input
            type="radio"
            name="restore-key"
            checked={keyKind === 'passphrase'}
            onChange={() => setKeyKind('passphrase')}
          />
          Its passphrase
        </label>
        <label>
          <input
            type="radio"
            name="restore-key"
            checked={keyKind === 'recoveryKey'}
            onChange={() => setKeyKind('recoveryKey')}
          />
          Its recovery key
        </label>
      </fieldset>
      {keyKind === 'passphrase' ? (
        <label>
          Backup passphrase
          <input
            type="password"
            value={backupPassphrase}
            disabled={running}
            onChange={(e) => setBackupPassphrase(e.target.value)}
            autoComplete="off"
          />
        </label>
      ) : (
        <label>
          Recovery key
          <input
            value={recoveryKey}
            disabled={running}
            onChange={(e) => setRecoveryKey(e.target.value)}
            placeholder="AGE-SECRET-KEY-1…"
            autoComplete="off"
            spellCheck={false}
          />
        </label>
      )}
      <fieldset disabled={running}>
        <legend>Protect the local database key with</legend>
        {keystores.map((k) => (
          <label key={k.kind} className={k.available ? undefined : 'unavailable'}>
            <input
              type="radio"
              name="restore-keystore"
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
            Passphrase for this device
            <input
              type="password"
              value={passphrase}
              disabled={running}
              onChange={(e) => setPassphrase(e.target.value)}
              autoComplete="new-password"
            />
          </label>
          <label>
            Passphrase for this device again
            <input
              type="password"
              value={confirm}
              disabled={running}
              onChange={(e) => setConfirm(e.target.value)}
              autoComplete="new-password"
            />
          </label>
          {mismatch && <small role="alert">The passphrases differ.</small>}
        </>
      )}
      {props.error !== null && (
        <div ref={errorRef}>
          <ErrorNote error={props.error} />
        </div>
      )}
      {running ? (
        <BackupProgress label="Restore progress" progress={props.progress} onCancel={props.onCancel} />
      ) : (
        <div className="restore-actions">
          <button type="button" className="secondary" onClick={props.onBack}>
            Back
          </button>
          <button type="submit" disabled={!valid}>
            Restore
          </button>
        </div>
      )}
    </form>
  );
}
