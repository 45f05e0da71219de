// Electron safeStorage backend: the database key encrypted by the OS keychain through Electron.
// The safeStorage object is injected by main/ so core never imports electron; basic_text is refused.
import { WispError } from '../../common/errors';
import { asDatabaseKey, expectKind, type DatabaseKey, type KeyStore, type SealedKey } from './keyStore';
import { keychainUnavailable } from './keychainKeyStore';

/** The part of Electron's `safeStorage` this adapter uses. */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
  /** Linux only: which secret store Chromium's OSCrypt picked. */
  getSelectedStorageBackend?(): string;
}

/** On Linux these mean "encrypted with a hard-coded password" or "no keyring": no protection at all. */
const REFUSED_BACKENDS = new Set(['basic_text', 'unknown']);

export class SafeStorageKeyStore implements KeyStore {
  readonly kind = 'safeStorage' as const;
  readonly #safeStorage: SafeStorageLike;

  constructor(safeStorage: SafeStorageLike) {
    this.#safeStorage = safeStorage;
  }

  /** Throws KeychainUnavailable unless safeStorage is backed by a real OS keychain. */
  assertUsable(): void {
    if (!this.#safeStorage.isEncryptionAvailable()) {
      throw keychainUnavailable('Electron safeStorage reports no encryption');
    }
    const backend = this.#safeStorage.getSelectedStorageBackend?.();
    if (backend !== undefined && REFUSED_BACKENDS.has(backend)) {
      throw keychainUnavailable(`Electron safeStorage fell back to "${backend}", which is not a keychain`);
    }
  }

  async seal(_slot: string, key: DatabaseKey): Promise<SealedKey> {
    this.assertUsable();
    const blob = this.#safeStorage.encryptString(key.toString('base64'));
    return { kind: 'safeStorage', blob: blob.toString('base64') };
  }

  async unseal(sealed: SealedKey): Promise<DatabaseKey> {
    const record = expectKind(sealed, 'safeStorage');
    this.assertUsable();
    let text: string;
    try {
      text = this.#safeStorage.decryptString(Buffer.from(record.blob, 'base64'));
    } catch (cause) {
      throw keychainUnavailable('Electron safeStorage could not decrypt the profile key', cause);
    }
    const bytes = Buffer.from(text, 'base64');
    if (bytes.length !== 32)
      throw new WispError('DatabaseCorrupt', 'the safeStorage blob is not a database key');
    return asDatabaseKey(bytes);
  }

  async discard(): Promise<void> {
    // The blob lives only in the metadata file, which the caller rewrites.
  }
}
