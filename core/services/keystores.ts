// Which key stores work on this machine right now (for the onboarding choice), and building the one
// the user picked. The keychain probe is bounded in time: a Secret Service that waits for a prompt
// must not hang the app's first screen.
import type { KeystoreCapability, KeystoreKind } from '../../common/ipc';
import { WispError } from '../../common/errors';
import {
  KEYCHAIN_SERVICE,
  KeychainKeyStore,
  PassphraseKeyStore,
  SafeStorageKeyStore,
  loadKeytar,
  type KeyStore,
  type SafeStorageLike,
  type ScryptParams,
} from '../vault';

const PROBE_TIMEOUT_MS = 3_000;

export interface KeyStoreOptions {
  /** Keychain service name; tests use their own. */
  readonly keychainService?: string;
  /** Lower scrypt cost for tests and the harness only. */
  readonly scrypt?: ScryptParams;
  readonly safeStorage?: SafeStorageLike;
}

export async function probeKeychain(service = KEYCHAIN_SERVICE): Promise<KeystoreCapability> {
  try {
    const keytar = await loadKeytar();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timed out')), PROBE_TIMEOUT_MS);
    });
    try {
      // A read of an entry that does not exist: proves the keychain answers without writing to it.
      await Promise.race([keytar.getPassword(`${service}-probe`, 'probe'), timeout]);
    } finally {
      clearTimeout(timer);
    }
    return { kind: 'keychain', available: true };
  } catch {
    return {
      kind: 'keychain',
      available: false,
      reason: 'No OS keychain answered (on Linux: start and unlock a Secret Service keyring).',
    };
  }
}

export function probeSafeStorage(safeStorage: SafeStorageLike | undefined): KeystoreCapability {
  if (safeStorage === undefined) {
    return { kind: 'safeStorage', available: false, reason: 'Only available inside the desktop app.' };
  }
  try {
    new SafeStorageKeyStore(safeStorage).assertUsable();
    return { kind: 'safeStorage', available: true };
  } catch (error) {
    return {
      kind: 'safeStorage',
      available: false,
      reason: error instanceof WispError ? error.message : 'Electron safeStorage is unusable.',
    };
  }
}

export function buildKeyStore(
  kind: KeystoreKind,
  passphrase: string | undefined,
  options: KeyStoreOptions,
): KeyStore {
  switch (kind) {
    case 'keychain':
      return new KeychainKeyStore(
        options.keychainService === undefined ? {} : { service: options.keychainService },
      );
    case 'safeStorage':
      if (options.safeStorage === undefined) {
        throw new WispError(
          'KeychainUnavailable',
          'Electron safeStorage exists only inside the desktop app',
          {
            recovery: 'Choose the keychain or a passphrase.',
          },
        );
      }
      return new SafeStorageKeyStore(options.safeStorage);
    case 'passphrase':
      if (passphrase === undefined) {
        throw new WispError('InvalidInput', 'this profile is protected by a passphrase', {
          recovery: 'Type the passphrase to unlock.',
        });
      }
      return new PassphraseKeyStore(
        passphrase,
        options.scrypt === undefined ? {} : { scrypt: options.scrypt },
      );
  }
}
