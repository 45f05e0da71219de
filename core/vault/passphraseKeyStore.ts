// Passphrase backend: the database key wrapped by AES-256-GCM under a key derived with scrypt
// (memory-hard). Used where no OS keychain is usable; a wrong passphrase fails the GCM tag check.
import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto';
import { WispError } from '../../common/errors';
import {
  asDatabaseKey,
  expectKind,
  type DatabaseKey,
  type KeyStore,
  type SealedKey,
  type ScryptParams,
} from './keyStore';

/**
 * N = 2^17, r = 8, p = 1: 128 MiB of memory per derivation and roughly half a second on one core
 * of the 2-core CI machine — the OWASP recommendation for scrypt. Recorded in each sealed key so
 * it can be raised later without breaking old profiles.
 */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 17, r: 8, p: 1 };
/** Floor and ceiling accepted from a metadata file: below the floor is too weak to create, above the ceiling is a memory bomb. */
const MIN_N = 2 ** 14;
const MAX_N = 2 ** 20;
const SALT_BYTES = 16;
const NONCE_BYTES = 12;

export interface PassphraseKeyStoreOptions {
  /** Overrides the KDF cost for new seals. Tests use the floor (2^14) to stay fast; the app never sets it. */
  readonly scrypt?: ScryptParams;
}

export class PassphraseKeyStore implements KeyStore {
  readonly kind = 'passphrase' as const;
  readonly #passphrase: string;
  readonly #params: ScryptParams;

  constructor(passphrase: string, options: PassphraseKeyStoreOptions = {}) {
    if (passphrase.length === 0) {
      throw new WispError('InvalidInput', 'the passphrase is empty', {
        recovery: 'Set WISP_PASSPHRASE to a non-empty passphrase.',
      });
    }
    this.#passphrase = passphrase;
    this.#params = options.scrypt ?? DEFAULT_SCRYPT;
    checkParams(this.#params);
  }

  async seal(slot: string, key: DatabaseKey): Promise<SealedKey> {
    const salt = randomBytes(SALT_BYTES);
    const nonce = randomBytes(NONCE_BYTES);
    const header = {
      kind: 'passphrase',
      version: 1,
      kdf: { name: 'scrypt', salt: salt.toString('base64'), ...this.#params },
      cipher: 'aes-256-gcm',
      nonce: nonce.toString('base64'),
    } as const;
    const kek = await derive(this.#passphrase, salt, this.#params);
    try {
      const cipher = createCipheriv('aes-256-gcm', kek, nonce);
      cipher.setAAD(associatedData(header));
      const ciphertext = Buffer.concat([cipher.update(key), cipher.final()]);
      void slot; // the slot is not needed: the wrapped key lives in that profile's own metadata.
      return {
        ...header,
        ciphertext: ciphertext.toString('base64'),
        tag: cipher.getAuthTag().toString('base64'),
      };
    } finally {
      kek.fill(0);
    }
  }

  async unseal(sealed: SealedKey): Promise<DatabaseKey> {
    const record = expectKind(sealed, 'passphrase');
    if (record.version !== 1 || record.cipher !== 'aes-256-gcm' || record.kdf.name !== 'scrypt') {
      throw new WispError('DatabaseCorrupt', 'the wrapped key uses an unknown format');
    }
    const params = { N: record.kdf.N, r: record.kdf.r, p: record.kdf.p };
    checkParams(params);
    const kek = await derive(this.#passphrase, Buffer.from(record.kdf.salt, 'base64'), params);
    try {
      const decipher = createDecipheriv('aes-256-gcm', kek, Buffer.from(record.nonce, 'base64'));
      decipher.setAAD(associatedData(record));
      decipher.setAuthTag(Buffer.from(record.tag, 'base64'));
      const plain = Buffer.concat([
        decipher.update(Buffer.from(record.ciphertext, 'base64')),
        decipher.final(),
      ]);
      return asDatabaseKey(plain);
    } catch (cause) {
      if (cause instanceof WispError) throw cause;
      // GCM cannot tell a wrong passphrase from a tampered record; both mean "not this passphrase".
      throw new WispError('WrongPassphrase', 'the passphrase does not unlock this profile', {
        recovery:
          'Check the passphrase (typed, or from --passphrase-file, --passphrase-fd or WISP_PASSPHRASE) and try again.',
        cause,
      });
    } finally {
      kek.fill(0);
    }
  }

  async discard(): Promise<void> {
    // Nothing lives outside the metadata file.
  }
}

function checkParams(params: ScryptParams): void {
  const { N, r, p } = params;
  const powerOfTwo = Number.isInteger(N) && N > 1 && (N & (N - 1)) === 0;
  if (
    !powerOfTwo ||
    N < MIN_N ||
    N > MAX_N ||
    !Number.isInteger(r) ||
    r < 8 ||
    r > 32 ||
    !Number.isInteger(p) ||
    p < 1 ||
    p > 4
  ) {
    throw new WispError('InvalidInput', 'scrypt parameters out of the accepted range');
  }
}

function derive(passphrase: string, salt: Buffer, { N, r, p }: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // maxmem must exceed 128·N·r or node refuses; leave headroom.
    scrypt(passphrase.normalize('NFC'), salt, 32, { N, r, p, maxmem: 256 * N * r }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/** Binds the KDF parameters and nonce to the ciphertext so a tampered header fails the tag. */
function associatedData(header: {
  version: number;
  kdf: { name: string; salt: string } & ScryptParams;
  cipher: string;
  nonce: string;
}): Buffer {
  const { version, kdf, cipher, nonce } = header;
  return Buffer.from(
    JSON.stringify([version, kdf.name, kdf.salt, kdf.N, kdf.r, kdf.p, cipher, nonce]),
    'utf8',
  );
}
