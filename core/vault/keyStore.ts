// The key-store interface: how a profile's 256-bit database key is sealed away and brought back.
// Three backends implement it (keychain, Electron safeStorage, passphrase); none ever stores the key in clear.
import { randomBytes } from 'node:crypto';
import { WispError } from '../../common/errors';

/** A raw SQLCipher key: exactly 32 random bytes. Branded so it cannot be mixed up with other buffers. */
export type DatabaseKey = Buffer & { readonly __brand: 'DatabaseKey' };

export const DATABASE_KEY_BYTES = 32;

export function newDatabaseKey(): DatabaseKey {
  return randomBytes(DATABASE_KEY_BYTES) as DatabaseKey;
}

export function asDatabaseKey(bytes: Uint8Array): DatabaseKey {
  if (bytes.length !== DATABASE_KEY_BYTES) {
    throw new WispError('Internal', `a database key must be ${DATABASE_KEY_BYTES} bytes`);
  }
  return Buffer.from(bytes) as DatabaseKey;
}

export type KeyStoreKind = 'keychain' | 'safeStorage' | 'passphrase';

/** scrypt parameters recorded beside a passphrase-wrapped key (see docs/STORAGE.md). */
export interface ScryptParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/**
 * What a profile's metadata file records about its key. It is never secret on its own: the
 * keychain variant names an entry, the other two hold ciphertext that needs the OS or the user.
 */
export type SealedKey =
  | { readonly kind: 'keychain'; readonly service: string; readonly account: string }
  | { readonly kind: 'safeStorage'; readonly blob: string }
  | {
      readonly kind: 'passphrase';
      readonly version: 1;
      readonly kdf: { readonly name: 'scrypt'; readonly salt: string } & ScryptParams;
      readonly cipher: 'aes-256-gcm';
      readonly nonce: string;
      readonly ciphertext: string;
      readonly tag: string;
    };

export interface KeyStore {
  readonly kind: KeyStoreKind;
  /**
   * Seals `key` under `slot` (a profile id, possibly suffixed for a pending rekey) and returns
   * the record to keep in the profile metadata.
   */
  seal(slot: string, key: DatabaseKey): Promise<SealedKey>;
  /** Brings the key back. Throws WrongPassphrase, KeychainUnavailable or NotFound — never returns a wrong key silently. */
  unseal(sealed: SealedKey): Promise<DatabaseKey>;
  /** Removes whatever the backend keeps outside the metadata file (the keychain entry). */
  discard(sealed: SealedKey): Promise<void>;
}

export function expectKind<K extends SealedKey['kind']>(
  sealed: SealedKey,
  kind: K,
): Extract<SealedKey, { kind: K }> {
  if (sealed.kind !== kind) {
    throw new WispError('InvalidInput', `this key was sealed by the ${sealed.kind} key store, not ${kind}`, {
      recovery:
        sealed.kind === 'passphrase'
          ? 'Open the profile with --keystore passphrase and WISP_PASSPHRASE.'
          : 'Open the profile with --keystore keychain.',
    });
  }
  return sealed as Extract<SealedKey, { kind: K }>;
}
