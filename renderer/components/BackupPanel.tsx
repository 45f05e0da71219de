// Settings → Backups: export this profile to one encrypted file, protected by a passphrase typed
// twice or by a recovery key shown once (copy, then "I saved it"); progress, cancel, and the plain
// statement of what a backup holds and for how long. Pure: the container runs the export.
import { useState, type FormEvent } from 'react';
import type { BackupProgressView } from '../../common/ipc';
import type { UiError } from '../lib/uiError';
import { BackupPathField } from './BackupPathField';
import { BackupProgress } from './BackupProgress';
import { ErrorNote } from './ErrorNote';

export const BACKUP_PASSPHRASE_MIN = 12;

export type BackupProtection =
  { kind: 'passphrase'; passphrase: string; confirm: string } | { kind: 'recoveryKey' };

export type BackupPanelState =
  | { step: 'form' }
  | { step: 'running'; progress: BackupProgressView | null }
  /** A recovery-key export finished: the key is on screen until "I saved it". */
  | { step: 'key'; file: string; recoveryKey: string; copied: boolean }
  | { step: 'done'; file: string };

export interface BackupPanelProps {
  pathMode: 'dialog' | 'field';
  path: string;
  state: BackupPanelState;
  error: UiError | null;
  onPathChange: (path: string) => void;
  onChoosePath: () => void;
  onExport: (protection: BackupProtection) => void;
  onCancel: () => void;
  onCopyKey: (recoveryKey: string) => void;
  onKeySaved: () => void;
  onAgain: () => void;
}

export function BackupPanel(props: BackupPanelProps) {
  const { state } = props;
  return (
    <section className="backup-panel" aria-labelledby="backups-title">
      <h3 id="backups-title">Backups</h3>
      <p className="backup-statement">
        A backup is one encrypted file with your account, contacts, conversations and attachments. It holds
        its contents until the file itself is deleted, even after the messages in it expire here. Burn-on-read
        messages and messages that expire within 24 hours are never included.
      </p>
      {state.step === 'form' && <ExportForm {...props} />}
      {state.step === 'running' && (
        <BackupProgress label="Backup progress" progress={state.progress} onCancel={props.onCancel} />
      )}
      {state.step === 'key' && (
        <RecoveryKeyStep
          file={state.file}
          recoveryKey={state.recoveryKey}
          copied={state.copied}
          onCopy={() => props.onCopyKey(state.recoveryKey)}
          onSaved={props.onKeySaved}
        />
      )}
      {state.step === 'done' && (
        <div className="backup-done" role="status">
          <p>Backup saved to {state.file}.</p>
          <button type="button" className="secondary" onClick={props.onAgain}>
            Make another backup
          </button>
        </div>
      )}
      <ErrorNote error={props.error} />
    </section>
  );
}

function ExportForm({ pathMode, path, onPathChange, onChoosePath, onExport }: BackupPanelProps) {
  const [kind, setKind] = useState<BackupProtection['kind']>('passphrase');
  const [passphrase, setPassphrase] = useState('');
  const [confirm, setConfirm] = useState('');
  const mismatch = kind === 'passphrase' && confirm.length > 0 && passphrase !== confirm;
  const tooShort =
    kind === 'passphrase' && passphrase.length > 0 && passphrase.length < BACKUP_PASSPHRASE_MIN;
  const valid =
    path.trim() !== '' &&
    (kind === 'recoveryKey' || (passphrase.length >= BACKUP_PASSPHRASE_MIN && passphrase === confirm));

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!valid) return;
    onExport(kind === 'passphrase' ? { kind, passphrase, confirm } : { kind });
  }

  return (
    <form className="backup-form" onSubmit={submit} aria-label="Export a backup">
      <fieldset>
        <legend>Protect the backup with</legend>
        <label>
          <input
            type="radio"
            name="backup-protection"
            checked={kind === 'passphrase'}
            onChange={() => setKind('passphrase')}
          />
          A passphrase
        </label>
        <label>
          <input
            type="radio"
            name="backup-protection"
            checked={kind === 'recoveryKey'}
            onChange={() => setKind('recoveryKey')}
          />
          A recovery key, shown once
        </label>
      </fieldset>
      {kind === 'passphrase' && (
        <>
          <label>
            Backup passphrase
            <input
              type="password"
              value={passphrase}
              onChange={(e) => setPassphrase(e.target.value)}
              autoComplete="new-password"
              aria-describedby="backup-passphrase-hint"
            />
          </label>
          <label>
            Backup passphrase again
            <input
              type="password"
              value={confirm}
              onChange={(e) => setConfirm(e.target.value)}
              autoComplete="new-password"
            />
          </label>
          <small id="backup-passphrase-hint" role={tooShort || mismatch ? 'alert' : undefined}>
            {mismatch
              ? 'The passphrases differ.'
              : `At least ${BACKUP_PASSPHRASE_MIN} characters. Without it the backup cannot be opened.`}
          </small>
        </>
      )}
      <BackupPathField
        mode={pathMode}
        label="Save the backup to"
        path={path}
        disabled={false}
        onPathChange={onPathChange}
        onChoose={onChoosePath}
      />
      <button type="submit" disabled={!valid}>
        Export backup
      </button>
    </form>
  );
}

interface RecoveryKeyStepProps {
  file: string;
  recoveryKey: string;
  copied: boolean;
  onCopy: () => void;
  onSaved: () => void;
}

function RecoveryKeyStep({ file, recoveryKey, copied, onCopy, onSaved }: RecoveryKeyStepProps) {
  return (
    <div className="recovery-key" role="group" aria-labelledby="recovery-key-title">
      <h4 id="recovery-key-title">Your recovery key</h4>
      <p>
        The backup is saved to {file}. This key is the only way to open it, and it is shown only now: Wisp
        does not keep it. Store it somewhere safe, apart from the backup file.
      </p>
      <output className="recovery-key-value" aria-label="Recovery key">
        {recoveryKey}
      </output>
      <div className="recovery-key-actions">
        <button type="button" className="secondary" onClick={onCopy}>
          {copied ? 'Copied' : 'Copy'}
        </button>
        <button type="button" onClick={onSaved}>
          I saved it
        </button>
      </div>
    </div>
  );
}
