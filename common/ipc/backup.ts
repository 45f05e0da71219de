// The `backup` service (docs/BACKUP.md, "In the app"): where to save or find a backup file, exporting
// the open profile, restoring a backup as this device's profile at onboarding, and cancelling either.
import { z } from 'zod';
import { AccountStatus, Passphrase } from './account';
import { KeystoreKind } from './app';
import { method, noInput, type ServiceInterface } from './contract';

/**
 * An absolute path on the machine running the engine (POSIX `/…`, Windows `C:\…` or `\\server\…`):
 * relative paths would resolve against whatever directory main happens to run in.
 */
export const AbsolutePath = z
  .string()
  .min(2)
  .max(4096)
  .refine((p) => !p.includes('\0'), 'a path cannot hold a NUL character')
  .refine(
    (p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\'),
    'the path must be absolute',
  );

/** A backup passphrase: long enough to stand against offline guessing of a file that may leak. */
export const BackupPassphrase = z.string().min(12, 'at least 12 characters').max(1024);

/** The age X25519 identity an export with a recovery key shows once (`AGE-SECRET-KEY-1…`). */
export const RecoveryKey = z
  .string()
  .trim()
  .max(200)
  .regex(
    /^AGE-SECRET-KEY-1[0-9A-Za-z]{58}$/,
    'a recovery key looks like AGE-SECRET-KEY-1 and 58 more letters',
  );

export const ChoosePathInput = z.object({ purpose: z.enum(['export', 'import']) });
/** null when the person closed the dialog without choosing. */
export const ChosenPath = z.object({ path: AbsolutePath.nullable() });

export const ExportInput = z.object({
  path: AbsolutePath,
  protection: z.discriminatedUnion('kind', [
    z
      .object({ kind: z.literal('passphrase'), passphrase: BackupPassphrase, confirm: z.string().max(1024) })
      .refine((p) => p.passphrase === p.confirm, { message: 'the passphrases differ', path: ['confirm'] }),
    z.object({ kind: z.literal('recoveryKey') }),
  ]),
});
export type ExportInput = z.infer<typeof ExportInput>;

export const ExportOutput = z.object({
  file: z.string(),
  bytes: z.number().int().nonnegative(),
  records: z.number().int().nonnegative(),
  /** Only for a recovery-key export: shown once, never stored anywhere by Wisp. */
  recoveryKey: z.string().nullable(),
});
export type ExportOutput = z.infer<typeof ExportOutput>;

export const ImportInput = z
  .object({
    path: AbsolutePath,
    /** What opens the backup file. */
    key: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('passphrase'), passphrase: z.string().min(1).max(1024) }),
      z.object({ kind: z.literal('recoveryKey'), recoveryKey: RecoveryKey }),
    ]),
    /** Where the restored profile keeps its new database key, as at onboarding. */
    keystore: KeystoreKind,
    passphrase: Passphrase.optional(),
  })
  .refine((i) => (i.keystore === 'passphrase') === (i.passphrase !== undefined), {
    message: 'a passphrase is required with, and only with, the passphrase keystore',
    path: ['passphrase'],
  });
export type ImportInput = z.infer<typeof ImportInput>;

export const BackupProgressSchema = z.object({
  phase: z.enum(['export', 'import']),
  bytes: z.number().nonnegative(),
  totalBytes: z.number().nonnegative().nullable(),
  records: z.number().int().nonnegative(),
  done: z.boolean(),
});
export type BackupProgressView = z.infer<typeof BackupProgressSchema>;

export const backupSpec = {
  choosePath: method(ChoosePathInput, ChosenPath),
  export: method(ExportInput, ExportOutput),
  import: method(ImportInput, AccountStatus),
  /** Cancels the export or import under way; false when none was. */
  cancel: method(noInput, z.object({ cancelled: z.boolean() })),
};

export type BackupService = ServiceInterface<typeof backupSpec>;
