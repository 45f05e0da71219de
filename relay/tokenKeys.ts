// The relay's Privacy Pass issuer keys: RSA-2048, one per period (a UTC day by default), made a
// period ahead so clients can learn the next key before it signs, and accepted for spending an
// overlap after its period so tokens issued just before a rotation stay good. Kept in a 0600 JSON
// file next to the server key (never in the database), so a restart keeps issued tokens valid.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { WispError } from '../common/errors';
import { TOKEN_NK, tokenKeySpki } from '../common/wire';

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

const KeyFile = z.object({
  kind: z.literal('wisp-token-keys'),
  version: z.literal(1),
  keys: z
    .array(
      z.object({
        privateKey: z.string().max(8192),
        issueFrom: z.number().int(),
        issueUntil: z.number().int(),
        spendUntil: z.number().int(),
      }),
    )
    .max(64),
});

function invalidFile(path: string, why: string): WispError {
  return new WispError('InvalidInput', `${path}: ${why}`, {
    recovery:
      'move the token key file away; the relay makes new token keys (tokens issued under the old ones stop working)',
  });
}

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

export class TokenKeyRing {
  private keys: TokenKey[] = [];
  private ensuring: Promise<void> | null = null;

  private constructor(
    /** The key file, or null: keys in memory only (a relay without a data directory). */
    private readonly path: string | null,
    private readonly policy: TokenKeyPolicy,
  ) {}

  /** Reads the key file if there is one (a broken file is an error, not a reason to start over). */
  static async open(path: string | null, policy: TokenKeyPolicy, now: number): Promise<TokenKeyRing> {
    const ring = new TokenKeyRing(path, policy);
    if (path !== null && existsSync(path)) ring.keys = readKeyFile(path);
    await ring.ensure(now);
    return ring;
  }

  /**
   * Makes sure the keys of this period and the next exist (generating them off the event loop)
   * and forgets keys whose tokens can no longer be spent; writes the file when that changed it.
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
    const start = this.periodStart(now);
    let changed = false;
    const alive = this.keys.filter((k) => k.spendUntil > now);
    if (alive.length !== this.keys.length) changed = true;
    for (const from of [start, start + this.policy.periodMs]) {
      if (alive.some((k) => k.issueFrom === from)) continue;
      const { privateKey } = await generateRsa('rsa', { modulusLength: TOKEN_NK * 8, publicExponent: 65537 });
      const until = from + this.policy.periodMs;
      alive.push(
        keyFrom(privateKey, {
          issueFrom: from,
          issueUntil: until,
          spendUntil: until + this.policy.overlapMs,
        }),
      );
      changed = true;
    }
    alive.sort((a, b) => a.issueFrom - b.issueFrom);
    // Written before use: a key that signed tokens must survive a restart.
    if (changed && this.path !== null) writeKeyFile(this.path, alive);
    this.keys = alive;
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

function readKeyFile(path: string): TokenKey[] {
  let parsed;
  try {
    parsed = KeyFile.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  } catch {
    throw invalidFile(path, 'not JSON');
  }
  if (!parsed.success) throw invalidFile(path, 'not a token key file');
  return parsed.data.keys.map((k) => {
    try {
      const privateKey = createPrivateKey({
        key: Buffer.from(k.privateKey, 'base64'),
        format: 'der',
        type: 'pkcs8',
      });
      return keyFrom(privateKey, k);
    } catch {
      throw invalidFile(path, 'holds a key that is not an RSA-2048 private key');
    }
  });
}

/** Atomic replace (temp file, fsync, rename, fsync of the folder), mode 0600. */
function writeKeyFile(path: string, keys: TokenKey[]): void {
  const value: z.infer<typeof KeyFile> = {
    kind: 'wisp-token-keys',
    version: 1,
    keys: keys.map((k) => ({
      privateKey: k.privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64'),
      issueFrom: k.issueFrom,
      issueUntil: k.issueUntil,
      spendUntil: k.spendUntil,
    })),
  };
  const tmp = join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(value, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
  const dirFd = openSync(dirname(path), 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}
