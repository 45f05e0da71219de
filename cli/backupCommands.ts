// `wisp backup export|import` (PRODUCT.md, headless client contract): one age file per profile,
// protected by a passphrase (WISP_BACKUP_PASSPHRASE or --passphrase-file) or a recovery key shown once.
// In these two commands --passphrase-file is the backup's passphrase (PRODUCT.md); the profile's own
// comes from --passphrase-fd, WISP_PASSPHRASE or the terminal. Heavy modules load only when run.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { WispError } from '../common/errors';
import type { BackupProgress, Identity, ImportResult } from '../core/backup';
import type { CommandSpec, Values } from './commands';
import type { Output } from './output';

/** The options as the profile's key store sees them: without the backup's passphrase file. */
function profileValues(values: Values): Values {
  return { ...values, 'passphrase-file': undefined };
}

function option(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

function requiredPath(values: Values, name: string): string {
  const v = option(values, name);
  if (v === undefined) {
    throw new WispError('InvalidInput', `--${name} is required`, {
      recovery: 'Run `wisp --help` for usage.',
    });
  }
  return resolve(v);
}

function readSecretFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw new WispError('InvalidInput', `the ${what} file cannot be read`, {
      cause,
      recovery: 'Check the path.',
    });
  }
}

/** The backup passphrase: --passphrase-file (its first line) wins over WISP_BACKUP_PASSPHRASE. */
function backupPassphrase(values: Values): string | undefined {
  const file = option(values, 'passphrase-file');
  if (file !== undefined) {
    const passphrase = readSecretFile(resolve(file), 'passphrase').split(/\r?\n/)[0] ?? '';
    if (passphrase.length === 0) throw new WispError('InvalidInput', 'the passphrase file is empty');
    return passphrase;
  }
  const env = process.env.WISP_BACKUP_PASSPHRASE;
  return env !== undefined && env.length > 0 ? env : undefined;
}

/** Ctrl-C (or SIGTERM) cancels cleanly: the import or export removes what it had written. */
function cancelOnSignals(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const abort = () => controller.abort();
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', abort);
      process.off('SIGTERM', abort);
    },
  };
}

/** A bar on a terminal's stderr, JSON lines on stdout with --json, nothing otherwise. */
function progressReporter(out: Output): ((p: BackupProgress) => void) | undefined {
  if (out.json) return (p) => out.record({ progress: p });
  if (process.stderr.isTTY !== true) return undefined;
  return (p) => {
    const mb = (p.bytes / 1e6).toFixed(1);
    const fraction = p.totalBytes !== null && p.totalBytes > 0 ? Math.min(1, p.bytes / p.totalBytes) : null;
    const bar =
      fraction === null
        ? ''
        : `[${'#'.repeat(Math.round(fraction * 30)).padEnd(30, '.')}] ${Math.round(fraction * 100)}% `;
    process.stderr.write(`\r${p.phase} ${bar}${mb} MB, ${p.records} records${p.done ? '\n' : ''}`);
  };
}

export const backupCommands: Record<string, CommandSpec> = {
  'backup export': {
    options: {
      out: { type: 'string' },
      'recovery-key': { type: 'boolean', default: false },
      'passphrase-file': { type: 'string' },
    },
    async run(values, out) {
      const outFile = requiredPath(values, 'out');
      const useRecoveryKey = values['recovery-key'] === true;
      const passphrase = useRecoveryKey ? undefined : backupPassphrase(values);
      if (!useRecoveryKey && passphrase === undefined) {
        throw new WispError('InvalidInput', 'a backup needs a passphrase or --recovery-key', {
          recovery: 'Set WISP_BACKUP_PASSPHRASE, pass --passphrase-file FILE, or use --recovery-key.',
        });
      }
      const { keyStoreOf, profileDirOf } = await import('./engineFor');
      const { openProfile } = await import('../core/profile');
      const { exportBackup } = await import('../core/backup');
      const keystore = await keyStoreOf(profileValues(values), false);
      const profile = await openProfile(profileDirOf(values), keystore);
      const cancel = cancelOnSignals();
      try {
        const onProgress = progressReporter(out);
        const result = await exportBackup({
          signal: cancel.signal,
          store: profile.store,
          attachmentsDir: profile.attachmentsDir,
          outFile,
          protection: passphrase === undefined ? { kind: 'recoveryKey' } : { kind: 'passphrase', passphrase },
          ...(onProgress ? { onProgress } : {}),
        });
        const keyLine =
          result.recoveryKey === undefined
            ? ''
            : `\nRecovery key (shown only now; store it apart from the backup):\n${result.recoveryKey}`;
        out.record(
          {
            file: result.file,
            bytes: result.bytes,
            records: result.records,
            counts: result.counts,
            ...(result.recoveryKey === undefined ? {} : { recoveryKey: result.recoveryKey }),
          },
          `Backup written to ${result.file} (${result.bytes} bytes, ${result.records} records).` +
            `${keyLine}\nThe backup holds its messages until the file itself is deleted.`,
        );
      } finally {
        cancel.dispose();
        profile.close();
      }
    },
  },
  'backup import': {
    options: {
      in: { type: 'string' },
      'passphrase-file': { type: 'string' },
      'identity-file': { type: 'string' },
    },
    async run(values, out) {
      const inFile = requiredPath(values, 'in');
      const { keyStoreOf, profileDirOf } = await import('./engineFor');
      const { importBackup, parseIdentityFile } = await import('../core/backup');
      const identities: Identity[] = [];
      const identityFile = option(values, 'identity-file');
      if (identityFile !== undefined) {
        try {
          identities.push(...parseIdentityFile(readSecretFile(resolve(identityFile), 'identity')));
        } catch (cause) {
          if (cause instanceof WispError) throw cause;
          throw new WispError(
            'InvalidInput',
            'the identity file holds no age recovery key (AGE-SECRET-KEY-1…)',
            {
              cause,
              recovery: 'Pass the file holding the recovery key `wisp backup export --recovery-key` printed.',
            },
          );
        }
      }
      const passphrase = backupPassphrase(values);
      if (passphrase !== undefined) identities.push({ kind: 'scrypt', passphrase });
      if (identities.length === 0) {
        throw new WispError('InvalidInput', 'importing needs the backup passphrase or recovery key', {
          recovery: 'Set WISP_BACKUP_PASSPHRASE, pass --passphrase-file FILE, or --identity-file KEYFILE.',
        });
      }
      const onProgress = progressReporter(out);
      const cancel = cancelOnSignals();
      const keystore = await keyStoreOf(profileValues(values), true);
      let result: ImportResult;
      try {
        result = await importBackup({
          inFile,
          targetDir: profileDirOf(values),
          keystore,
          identities,
          signal: cancel.signal,
          ...(onProgress ? { onProgress } : {}),
        });
      } finally {
        cancel.dispose();
      }
      out.record(
        {
          profile: result.profileDir,
          accountId: result.accountId,
          backupCreatedAt: result.createdAt,
          counts: result.counts,
          droppedExpired: result.droppedExpired,
        },
        `Restored into ${result.profileDir} (${result.droppedExpired} message(s) had expired since the backup).`,
      );
    },
  },
};
