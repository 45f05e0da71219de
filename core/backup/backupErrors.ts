// The typed refusals of backup import/export, each with the recovery a person can act on, and the
// mapping from the age layer's failure categories to them.
import { WispError } from '../../common/errors';
import { isAgeError } from './age';

export const backupErrors = {
  wrongKey: (cause?: unknown) =>
    new WispError('BackupWrongKey', 'the passphrase or recovery key does not open this backup', {
      cause,
      recovery:
        'Use the passphrase the backup was made with (WISP_BACKUP_PASSPHRASE or --passphrase-file), or the recovery key file it printed (--identity-file).',
    }),
  truncated: (cause?: unknown) =>
    new WispError('BackupTruncated', 'the backup file ends before its end: it was cut short', {
      cause,
      recovery: 'The file was cut off while being copied or downloaded: copy the whole file again.',
    }),
  corrupt: (cause?: unknown) =>
    new WispError(
      'BackupCorrupt',
      'the backup file was changed after it was written (damaged or tampered with)',
      {
        cause,
        recovery:
          'Use another copy of the backup; this one cannot be trusted. A file cut inside its last block also shows up here.',
      },
    ),
  notAge: (cause?: unknown) =>
    new WispError('BackupNotAge', 'this file is not an encrypted Wisp backup (not an age file)', {
      cause,
      recovery: 'Choose the .age file that `wisp backup export` (or Settings → Backups) wrote.',
    }),
  unsupportedVersion: (what: string) =>
    new WispError('BackupUnsupportedVersion', `this backup uses a format this Wisp does not know (${what})`, {
      recovery: 'It was made by a newer Wisp: update Wisp, then import it again.',
    }),
  wrongKind: (what: string) =>
    new WispError('BackupWrongKind', `this file is not a Wisp profile backup (${what})`, {
      recovery: 'Choose a backup made with `wisp backup export` or Settings → Backups.',
    }),
};

/** Turns anything the age layer threw into its backup refusal; other errors pass through. */
export function fromAgeError(error: unknown): unknown {
  if (!isAgeError(error)) return error;
  switch (error.failure) {
    case 'NotAge':
      return backupErrors.notAge(error);
    case 'UnsupportedVersion':
      return backupErrors.unsupportedVersion('age version');
    case 'NoMatch':
      return backupErrors.wrongKey(error);
    case 'Truncated':
      return backupErrors.truncated(error);
    case 'Header':
      return /ends inside/.test(error.message) ? backupErrors.truncated(error) : backupErrors.corrupt(error);
    case 'Hmac':
    case 'Payload':
      return backupErrors.corrupt(error);
  }
}
