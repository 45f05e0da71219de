// Backup refusals in the app's words: core/backup's recovery hints name CLI flags and environment
// variables, which a person in Settings or at onboarding never sees; each kind gets what to do here.
import { WispError, type WispErrorKind } from '../../common/errors';
import type { BackupProgressView } from '../../common/ipc';
import { asUiError, type UiError } from './uiError';

const BACKUP_WORDS: Partial<Record<WispErrorKind, UiError>> = {
  BackupWrongKey: {
    message: 'That passphrase or recovery key does not open this backup.',
    recovery:
      'Type the passphrase the backup was made with (it is case-sensitive), or the recovery key shown when it was made. Nothing was changed.',
  },
  BackupTruncated: {
    message: 'This backup file is incomplete: it was cut short.',
    recovery: 'It was probably cut off while being copied or downloaded. Copy the whole file again.',
  },
  BackupCorrupt: {
    message: 'This backup file was damaged or changed after it was made.',
    recovery: 'Use another copy of the backup: this one cannot be trusted.',
  },
  BackupNotAge: {
    message: 'This file is not a Wisp backup.',
    recovery: 'Choose the .wisp-backup file Wisp saved from Settings → Backups.',
  },
  BackupWrongKind: {
    message: 'This file is encrypted, but it is not a Wisp backup.',
    recovery: 'Choose the .wisp-backup file Wisp saved from Settings → Backups.',
  },
  BackupUnsupportedVersion: {
    message: 'This backup was made by a newer version of Wisp.',
    recovery: 'Update Wisp on this device, then restore it again.',
  },
  BackupCancelled: {
    message: 'Cancelled.',
    recovery: 'Nothing was written. Start again whenever you are ready.',
  },
  ProfileExists: {
    message: 'This device already has a Wisp account.',
    recovery: 'A backup can be restored only on a device without a Wisp account.',
  },
};

/** The typed refusal as a person reads it; other errors as everywhere else in the app. */
export function backupUiError(error: unknown): UiError {
  if (error instanceof WispError) {
    const words = BACKUP_WORDS[error.kind];
    if (words !== undefined) return words;
    if (error.kind === 'InvalidInput' && /cannot be written there/.test(error.message)) {
      return {
        message: 'The backup cannot be saved there.',
        recovery: 'Choose a folder you can write to.',
      };
    }
  }
  return asUiError(error);
}

/** "12.4 MB of 80.0 MB", or "12.4 MB, 1500 records" when the total is unknown. */
export function progressWords(progress: BackupProgressView): string {
  const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
  return progress.totalBytes !== null && progress.totalBytes > 0
    ? `${mb(progress.bytes)} of ${mb(progress.totalBytes)}`
    : `${mb(progress.bytes)}, ${progress.records} records`;
}
