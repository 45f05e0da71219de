// Onboarding → "Restore from a backup": the backup file, what opens it (its passphrase or recovery
// key), and how this device protects the restored profile's database key, as at onboarding. Pure:
// the container runs the import and shows its progress and typed refusals.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { BackupProgressView, KeystoreCapability, KeystoreKind } from '../../common/ipc';
import type { UiError } from '../lib/uiError';
import { BackupPathField } from './BackupPathField';
import { BackupProgress } from './BackupProgress';
import { DeviceKeyFields, useDeviceKey } from './DeviceKeyFields';
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

export function RestoreForm(props: RestoreFormProps) {
  const { keystores, running } = props;
  const [keyKind, setKeyKind] = useState<RestoreValues['key']['kind']>('passphrase');
  const [backupPassphrase, setBackupPassphrase] = useState('');
  const [recoveryKey, setRecoveryKey] = useState('');
  const deviceKey = useDeviceKey(keystores);

  // A refusal appears below the long form: bring it into view, or a small window would hide it.
  const errorRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (props.error !== null) errorRef.current?.scrollIntoView?.({ block: 'nearest' });
  }, [props.error]);

  const valid =
    props.path.trim() !== '' &&
    (keyKind === 'passphrase' ? backupPassphrase.length > 0 : recoveryKey.trim().length > 0) &&
    deviceKey.ready;

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!valid || running) return;
    props.onSubmit({
      path: props.path.trim(),
      key:
        keyKind === 'passphrase'
          ? { kind: 'passphrase', passphrase: backupPassphrase }
          : { kind: 'recoveryKey', recoveryKey: recoveryKey.trim() },
      ...deviceKey.values(),
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
      <DeviceKeyFields
        keystores={keystores}
        state={deviceKey}
        name="restore-keystore"
        passphraseLabel="Passphrase for this device"
        disabled={running}
      />
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
