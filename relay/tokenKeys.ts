// The relay's Privacy Pass issuer keys: RSA-2048, one per period (a UTC day by default), made a
// period ahead so clients can learn the next key before it signs, and accepted for spending an
// overlap after its period so tokens issued just before a rotation stay good. Every node of a
// relay must sign with the same keys (a client may fetch keys from one node and be issued tokens
// by another), so keys are shared through the database — sealed (AES-256-GCM) under a secret that
// lives in a 0600 file next to the server key, never in the database: a copy of the database
// alone cannot mint tokens. The first node to need a key makes it; the others load it.
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { WispError } from '../common/errors';
import { TOKEN_NK, tokenKeySpki } from '../common/wire';
import type { RelayStorage, StoredTokenKey } from './storage/types';

const generateRsa = promisify(generateKeyPair);

export interface TokenKey {
  /** token_key_id: SHA-256 of the RSASSA-PSS SubjectPublicKeyInfo (RFC 9578 §6.5). */
  id: Buffer;
  spki: Buffer;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The modulus, big-endian, Nk bytes: a blinded message must be below it. */
  modulus: Buffer;
  issueFrom: number;
  issueUntil: number;
  spendUntil: number;
}

export interface TokenKeyPolicy {
  /** How long one key issues; keys start at multiples of it since the epoch (UTC days for a day). */
  periodMs: number;
  /** How long after its period a key's tokens are still accepted. */
  overlapMs: number;
}

const SecretFile = z.object({
  kind: z.literal('wisp-token-key-secret'),
  version: z.literal(1),
  secret: z.base64().length(44),
});

type KeyStore = Pick<RelayStorage, 'tokenKeys' | 'addTokenKey'>;

function keyFrom(
  privateKey: KeyObject,
  window: Pick<TokenKey, 'issueFrom' | 'issueUntil' | 'spendUntil'>,
): TokenKey {
  const publicKey = createPublicKey(privateKey);
  const details = publicKey.asymmetricKeyDetails;
  if (
    publicKey.asymmetricKeyType !== 'rsa' ||
    details?.modulusLength !== TOKEN_NK * 8 ||
    details.publicExponent !== 65537n
  )
    throw new Error('a token key must be RSA-2048 with e = 65537');
  const spki = Buffer.from(tokenKeySpki(publicKey.export({ type: 'pkcs1', format: 'der' })));
  const modulus = Buffer.from(publicKey.export({ format: 'jwk' }).n!, 'base64url');
  return {
    id: createHash('sha256').update(spki).digest(),
    spki,
    privateKey,
    publicKey,
    modulus,
    ...window,
  };
}

/** The AAD binds a sealed key to its window, so rows cannot be swapped between periods. */
const aad = (k: Pick<StoredTokenKey, 'issueFrom' | 'issueUntil' | 'spendUntil'>) =>
  Buffer.from(`wisp-token-key-v1:${k.issueFrom}:${k.issueUntil}:${k.spendUntil}`);

export class TokenKeyRing {
  private keys: TokenKey[] = [];
  private ensuring: Promise<void> | null = null;
  /** Decrypted keys by their sealed bytes (hex): a reload does not redo the RSA parsing. */
  private readonly opened = new Map<string, TokenKey>();

  private constructor(
    private readonly storage: KeyStore,
    private readonly sealingKey: Buffer,
    private readonly policy: TokenKeyPolicy,
  ) {}

  /**
   * Reads (or, on first start, creates) the secret file — null: a secret in memory only, for a
   * relay without a data directory — then loads the keys and makes the missing ones.
   */
  static async open(
    storage: KeyStore,
    secretPath: string | null,
    policy: TokenKeyPolicy,
    now: number,
  ): Promise<TokenKeyRing> {
    const secret = secretPath === null ? randomBytes(32) : readOrCreateSecret(secretPath);
    const sealingKey = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'wisp-token-keys-v1', 32));
    const ring = new TokenKeyRing(storage, sealingKey, policy);
    await ring.ensure(now);
    return ring;
  }

  /**
   * Makes sure the keys of this period and the next exist (generating them off the event loop;
   * another node may have made them first, then its keys are used) and loads them.
   */
  ensure(now: number): Promise<void> {
    this.ensuring ??= this.ensureNow(now).finally(() => (this.ensuring = null));
    return this.ensuring;
  }

  /** Whether ensure() has work to do for `now` (cheap; callers skip the await otherwise). */
  needsRotation(now: number): boolean {
    const start = this.periodStart(now);
    return (
      !this.keys.some((k) => k.issueFrom === start) ||
      !this.keys.some((k) => k.issueFrom === start + this.policy.periodMs) ||
      this.keys.some((k) => k.spendUntil <= now)
    );
  }

  private periodStart(now: number): number {
    return Math.floor(now / this.policy.periodMs) * this.policy.periodMs;
  }

  private async ensureNow(now: number): Promise<void> {
    await this.reload(now);
    const start = this.periodStart(now);
    let added = false;
    for (const from of [start, start + this.policy.periodMs]) {
      if (this.keys.some((k) => k.issueFrom === from)) continue;
      const { privateKey } = await generateRsa('rsa', { modulusLength: TOKEN_NK * 8, publicExponent: 65537 });
      const until = from + this.policy.periodMs;
      const window = { issueFrom: from, issueUntil: until, spendUntil: until + this.policy.overlapMs };
      // Inserted unless another node got there first; the reload below takes whichever is stored.
      await this.storage.addTokenKey({ ...window, sealedKey: this.seal(privateKey, window) });
      added = true;
    }
    if (added) await this.reload(now);
  }

  private async reload(now: number): Promise<void> {
    const rows = await this.storage.tokenKeys();
    const keys: TokenKey[] = [];
    for (const row of rows) {
      if (row.spendUntil <= now) continue;
      const tag = Buffer.from(row.sealedKey).toString('hex');
      let key = this.opened.get(tag);
      if (!key) {
        key = keyFrom(this.unseal(row), row);
        this.opened.set(tag, key);
      }
      keys.push(key);
    }
    const live = new Set(keys);
    for (const [tag, key] of this.opened) if (!live.has(key)) this.opened.delete(tag);
    this.keys = keys.sort((a, b) => a.issueFrom - b.issueFrom);
  }

  private seal(privateKey: KeyObject, window: Parameters<typeof aad>[0]): Buffer {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.sealingKey, nonce);
    cipher.setAAD(aad(window));
    const body = Buffer.concat([
      cipher.update(privateKey.export({ type: 'pkcs8', format: 'der' })),
      cipher.final(),
    ]);
    return Buffer.concat([nonce, body, cipher.getAuthTag()]);
  }

  private unseal(row: StoredTokenKey): KeyObject {
    const sealed = Buffer.from(row.sealedKey);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.sealingKey, sealed.subarray(0, 12));
      decipher.setAAD(aad(row));
      decipher.setAuthTag(sealed.subarray(sealed.length - 16));
      const der = Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]);
      return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    } catch {
      throw new WispError(
        'InvalidInput',
        'the token keys in the database were sealed with another token key secret',
        {
          recovery:
            'give every relay node the same token key secret file (--token-secret), the one the first node made',
        },
      );
    }
  }

  /** The key that signs now; null only in the moment a rotation is still generating it. */
  issuing(now: number): TokenKey | null {
    return this.keys.find((k) => k.issueFrom <= now && now < k.issueUntil) ?? null;
  }

  /** A key whose tokens are accepted now. */
  spendable(id: Uint8Array, now: number): TokenKey | null {
    return this.keys.find((k) => k.issueFrom <= now && now < k.spendUntil && k.id.equals(id)) ?? null;
  }

  /** Keys a client may meet: still spendable, issuing now, or issuing next. */
  published(now: number): TokenKey[] {
    return this.keys.filter((k) => k.spendUntil > now);
  }
}

/**
 * `wisp-relay token-secret --out FILE` and a relay's first start: 32 random bytes in a new 0600
 * JSON file (never overwritten).
 */
export function createTokenSecretFile(path: string): void {
  const value: z.infer<typeof SecretFile> = {
    kind: 'wisp-token-key-secret',
    version: 1,
    secret: randomBytes(32).toString('base64'),
  };
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new WispError(
      'InvalidInput',
      code === 'EEXIST'
        ? `${path} already exists; a token key secret is never overwritten`
        : `cannot create the token key secret file ${path} (${code ?? 'error'})`,
      {
        recovery:
          'make one with `wisp-relay token-secret --out FILE` and pass --token-secret FILE (every node the same file)',
      },
    );
  }
  try {
    writeSync(fd, `${JSON.stringify(value, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  const dirFd = openSync(dirname(path), 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

/** The secret in a token key secret file, made first if there is none yet. */
function readOrCreateSecret(path: string): Buffer {
  if (!existsSync(path)) createTokenSecretFile(path);
  let parsed;
  try {
    parsed = SecretFile.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  } catch {
    parsed = null;
  }
  if (!parsed?.success)
    throw new WispError('InvalidInput', `${path}: not a token key secret file`, {
      recovery: 'give the file the relay made on its first start, unchanged',
    });
  return Buffer.from(parsed.data.secret, 'base64');
}
