// The progress of a backup export or restore: a bar when the size is known (busy otherwise), the
// amount in words, and the Cancel button.
import type { BackupProgressView } from '../../common/ipc';
import { progressWords } from '../lib/backupWords';

export interface BackupProgressProps {
  label: string;
  progress: BackupProgressView | null;
  onCancel: () => void;
}

export function BackupProgress({ label, progress, onCancel }: BackupProgressProps) {
  const fraction =
    progress !== null && progress.totalBytes !== null && progress.totalBytes > 0
      ? Math.min(1, progress.bytes / progress.totalBytes)
      : null;
  return (
    <div className="backup-progress" role="group" aria-label={label}>
      <progress
        aria-label={label}
        max={1}
        {...(fraction === null ? {} : { value: progress?.done === true ? 1 : fraction })}
      />
      <p className="hint" aria-live="polite">
        {progress === null ? 'Starting…' : progressWords(progress)}
      </p>
      <button type="button" className="secondary" onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}
