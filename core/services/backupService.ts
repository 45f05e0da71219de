// The `backup` service on core/backup: exporting the open profile, restoring a backup as this
// device's profile at onboarding, one operation at a time, cancellable, progress as app events.
// Passphrases and recovery keys pass straight through: never logged, never kept after the call.
import { WispError } from '../../common/errors';
import type { AccountStatus, KeystoreKind, WispEvent, WispServices } from '../../common/ipc';
import { importBackup, parseIdentityFile, type BackupProgress, type Identity } from '../backup';
import type { EngineApi } from '../engine';
import type { KeyStore } from '../vault';
import type { PlatformAdapter } from './platform';

/** What the backup service needs from the services around it (wispServices.ts). */
export interface BackupContext {
  readonly profileDir: string;
  readonly platform: PlatformAdapter;
  emit(event: WispEvent): void;
  requireEngine(): Promise<EngineApi>;
  hasAccount(): Promise<boolean>;
  buildKeyStore(kind: KeystoreKind, passphrase: string | undefined): KeyStore;
  /** Records the key store kind, opens the restored profile, connects it and announces the status. */
  adopt(kind: KeystoreKind, keystore: KeyStore): Promise<AccountStatus>;
  /** The account queue: a restore must not race onboarding, unlock or lock. */
  serially<T>(work: () => Promise<T>): Promise<T>;
}

/** The file name the save dialog suggests: the date, and the extension the OS opens with Wisp. */
export function suggestedBackupName(now = new Date()): string {
  return `wisp-${now.toISOString().slice(0, 10)}.wisp-backup`;
}

function busy(): WispError {
  return new WispError('InvalidInput', 'a backup or restore is already under way', {
    recovery: 'Wait for it to finish, or cancel it first.',
  });
}

/** A recovery key whose checksum fails was mistyped: said so, rather than "wrong key". */
function recoveryIdentity(key: string): Identity[] {
  try {
    return parseIdentityFile(key.toUpperCase());
  } catch (cause) {
    throw new WispError('InvalidInput', 'this recovery key is mistyped (its checksum does not match)', {
      cause,
      recovery: 'Copy the recovery key exactly as it was shown when the backup was made.',
    });
  }
}

export interface BackupServiceHandle {
  readonly service: WispServices['backup'];
  /** A path the OS asked Wisp to open (a .wisp-backup file): usable for import like a dialog's. */
  allowPath(path: string): void;
}

export function createBackupService(context: BackupContext): BackupServiceHandle {
  let running: AbortController | null = null;
  /**
   * Where the runtime has file dialogs, only paths they (or the OS) handed over are used: a
   * compromised page must not be able to overwrite, or probe, a file of its choosing.
   */
  const granted = new Set<string>();
  const requireGranted = (path: string) => {
    if (context.platform.choosePath === undefined || granted.has(path)) return;
    throw new WispError('InvalidInput', 'this file was not chosen in the file dialog', {
      recovery: 'Choose the file with “Choose…”.',
    });
  };

  /** Runs one export or import with its own AbortController; a second one meanwhile is refused. */
  async function exclusive<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (running !== null) throw busy();
    const controller = new AbortController();
    running = controller;
    try {
      return await work(controller.signal);
    } finally {
      running = null;
    }
  }

  const onProgress = (progress: BackupProgress) =>
    context.emit({ type: 'backup.progress', progress: { ...progress } });

  const service: WispServices['backup'] = {
    async choosePath({ purpose }) {
      if (context.platform.choosePath === undefined) {
        throw new WispError('NotImplemented', 'there is no file dialog here', {
          recovery: 'Type the full path of the backup file instead.',
        });
      }
      const path = await context.platform.choosePath(purpose, suggestedBackupName());
      if (path !== null) granted.add(path);
      return { path };
    },

    async export({ path, protection }) {
      requireGranted(path);
      const engine = await context.requireEngine();
      return exclusive(async (signal) => {
        const result = await engine.exportBackup({
          outFile: path,
          protection:
            protection.kind === 'recoveryKey'
              ? { kind: 'recoveryKey' }
              : { kind: 'passphrase', passphrase: protection.passphrase },
          signal,
          onProgress,
        });
        return {
          file: result.file,
          bytes: result.bytes,
          records: result.records,
          recoveryKey: result.recoveryKey ?? null,
        };
      });
    },

    import: async (input) => {
      requireGranted(input.path);
      return exclusive((signal) =>
        context.serially(async () => {
          if (await context.hasAccount()) {
            throw new WispError('ProfileExists', 'this device already has an account', {
              recovery: 'A backup can be restored only on a device without a Wisp account.',
            });
          }
          const identities: Identity[] =
            input.key.kind === 'passphrase'
              ? [{ kind: 'scrypt', passphrase: input.key.passphrase }]
              : recoveryIdentity(input.key.recoveryKey);
          const keystore = context.buildKeyStore(input.keystore, input.passphrase);
          // Every refusal (wrong key, damaged file, cancel) happens before anything is renamed into
          // place, so the device stays without a profile and the person can try again.
          await importBackup({
            inFile: input.path,
            targetDir: context.profileDir,
            keystore,
            identities,
            signal,
            onProgress,
          });
          return context.adopt(input.keystore, keystore);
        }),
      );
    },

    async cancel() {
      if (running === null) return { cancelled: false };
      running.abort();
      return { cancelled: true };
    },
  };
  return { service, allowPath: (path) => void granted.add(path) };
}
