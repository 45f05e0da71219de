// Sealed-sender key files, Signal's shape: the trust root's private key lives only in an offline
// file that `wisp-relay keygen` reads and writes; the relay is given a server key file (a server
// private key, its certificate with a key id signed by the root, and the root's public key). No
// key is ever stored in the relay's database. The same files carry the account-hash key, the
// secret under which stored account ids are hashed (identity.ts AccountHasher; docs/SECURITY.md).
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
import { hkdfSync, randomBytes } from 'node:crypto';
import { PrivateKey, PublicKey, ServerCertificate } from '@signalapp/libsignal-client';
import { z } from 'zod';
import { WispError } from '../common/errors';

/** libsignal clients refuse this key id (revoked upstream), so keygen never issues it. */
const REVOKED_KEY_ID = 0xdeadc357;
const MAX_KEY_ID = 0xffff_ffff;

const B64 = z
  .string()
  .regex(/^[A-Za-z0-9+/]+={0,2}$/)
  .max(4096);
const KeyId = z.number().int().min(1).max(MAX_KEY_ID);

const TrustRootFile = z.object({
  kind: z.literal('wisp-trust-root'),
  version: z.literal(1),
  privateKey: B64,
  publicKey: B64,
  /** The key id of the last server certificate this root signed; the next one gets the next id. */
  lastKeyId: z.number().int().min(0).max(MAX_KEY_ID),
  /** Copied into every server key this root signs, so rotation and every node keep one key. */
  accountHashKey: B64.optional(),
});

const ServerKeyFile = z.object({
  kind: z.literal('wisp-server-key'),
  version: z.literal(1),
  keyId: KeyId,
  privateKey: B64,
  certificate: B64,
  trustRoot: B64,
  /** Absent in files written before issue 14: the key is then derived from privateKey. */
  accountHashKey: B64.optional(),
});

/** What a running relay holds: the server key and its certificate, and only the root's public half. */
export interface ServerKey {
  keyId: number;
  privateKey: PrivateKey;
  certificate: ServerCertificate;
  trustRoot: PublicKey;
  /** HMAC key for stored account ids (32 bytes); never written to the database. */
  accountHashKey: Uint8Array;
}

const HASH_KEY_BYTES = 32;

/**
 * The account-hash key of a server key file that has none (written before issue 14): derived from
 * the server private key with HKDF under its own label, so it is stable for that file and
 * unrelated to any signature. `wisp-relay keygen --hash-key-from` carries it over to new keys.
 */
export function derivedAccountHashKey(privateKey: PrivateKey): Uint8Array {
  return new Uint8Array(
    hkdfSync(
      'sha256',
      privateKey.serialize(),
      new Uint8Array(0),
      'wisp-relay account-hash key v1',
      HASH_KEY_BYTES,
    ),
  );
}

function hashKeyField(path: string, value: string | undefined): Uint8Array | null {
  if (value === undefined) return null;
  const key = unb64(value);
  if (key.byteLength !== HASH_KEY_BYTES) throw invalidKeyFile(path, 'accountHashKey is not 32 bytes');
  return key;
}

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
const unb64 = (s: string): Uint8Array<ArrayBuffer> => new Uint8Array(Buffer.from(s, 'base64'));

function invalidKeyFile(path: string, why: string): WispError {
  return new WispError('InvalidInput', `${path}: ${why}`, {
    recovery: 'give the file `wisp-relay keygen` wrote, unchanged',
  });
}

/** A new server key with its certificate, signed by `root`. */
export function issueServerKey(
  root: PrivateKey,
  keyId: number,
  accountHashKey: Uint8Array = randomBytes(HASH_KEY_BYTES),
): ServerKey {
  const privateKey = PrivateKey.generate();
  return {
    keyId,
    privateKey,
    certificate: ServerCertificate.new(keyId, privateKey.getPublicKey(), root),
    trustRoot: root.getPublicKey(),
    accountHashKey,
  };
}

/**
 * Checks that the parts form one chain: the certificate is for this private key and is signed by
 * this trust root. A relay that started with a broken chain would hand out sender certificates
 * every client rejects, so it refuses to start instead.
 */
export function serverKeyFromParts(
  parts: {
    privateKey: Uint8Array;
    certificate: Uint8Array;
    trustRoot: Uint8Array;
    accountHashKey?: Uint8Array;
  },
  where = 'server key',
): ServerKey {
  let key: ServerKey;
  try {
    const certificate = ServerCertificate.deserialize(new Uint8Array(parts.certificate));
    const privateKey = PrivateKey.deserialize(new Uint8Array(parts.privateKey));
    key = {
      keyId: certificate.keyId(),
      privateKey,
      certificate,
      trustRoot: PublicKey.deserialize(new Uint8Array(parts.trustRoot)),
      accountHashKey: parts.accountHashKey ?? derivedAccountHashKey(privateKey),
    };
  } catch {
    throw invalidKeyFile(where, 'not a server key, certificate and trust root');
  }
  const certified = Buffer.from(key.certificate.key().serialize());
  if (!certified.equals(Buffer.from(key.privateKey.getPublicKey().serialize())))
    throw invalidKeyFile(where, 'the certificate is for another server key');
  if (!key.trustRoot.verify(key.certificate.certificateData(), key.certificate.signature()))
    throw invalidKeyFile(where, 'the certificate is not signed by the trust root');
  return key;
}

function readJson<T>(path: string, schema: z.ZodType<T>): T {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new WispError('NotFound', `${path}: no such key file`, {
        recovery: 'create it with `wisp-relay keygen`',
      });
    throw invalidKeyFile(path, 'cannot be read');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalidKeyFile(path, 'not JSON');
  }
  const result = schema.safeParse(parsed);
  if (!result.success) throw invalidKeyFile(path, 'not a key file of this kind');
  return result.data;
}

/**
 * Writes `value` as a 0600 file, fsynced. `replace` swaps it in atomically (temp file + rename);
 * otherwise an existing file is an error, so a key is never overwritten by accident.
 */
function writeKeyFile(path: string, value: object, replace: boolean): void {
  const target = replace ? join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`) : path;
  let fd: number;
  try {
    fd = openSync(target, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      throw new WispError('InvalidInput', `${path} already exists; a key file is never overwritten`, {
        recovery: 'choose a new file name for the new key',
      });
    throw error;
  }
  try {
    writeSync(fd, `${JSON.stringify(value, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  if (replace) {
    try {
      renameSync(target, path);
    } catch (error) {
      rmSync(target, { force: true });
      throw error;
    }
  }
  const dirFd = openSync(dirname(path), 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

export function readServerKeyFile(path: string): ServerKey {
  const f = readJson(path, ServerKeyFile);
  const accountHashKey = hashKeyField(path, f.accountHashKey);
  const key = serverKeyFromParts(
    {
      privateKey: unb64(f.privateKey),
      certificate: unb64(f.certificate),
      trustRoot: unb64(f.trustRoot),
      ...(accountHashKey ? { accountHashKey } : {}),
    },
    path,
  );
  if (key.keyId !== f.keyId) throw invalidKeyFile(path, 'keyId does not match the certificate');
  return key;
}

export function writeServerKeyFile(path: string, key: ServerKey): void {
  writeKeyFile(
    path,
    {
      kind: 'wisp-server-key',
      version: 1,
      keyId: key.keyId,
      privateKey: b64(key.privateKey.serialize()),
      certificate: b64(key.certificate.serialize()),
      trustRoot: b64(key.trustRoot.serialize()),
      accountHashKey: b64(key.accountHashKey),
    } satisfies z.infer<typeof ServerKeyFile>,
    false,
  );
}

function readTrustRootFile(path: string): {
  root: PrivateKey;
  lastKeyId: number;
  accountHashKey: Uint8Array | null;
} {
  const f = readJson(path, TrustRootFile);
  let root: PrivateKey;
  try {
    root = PrivateKey.deserialize(unb64(f.privateKey));
  } catch {
    throw invalidKeyFile(path, 'not a private key');
  }
  if (b64(root.getPublicKey().serialize()) !== f.publicKey)
    throw invalidKeyFile(path, 'publicKey does not match privateKey');
  return { root, lastKeyId: f.lastKeyId, accountHashKey: hashKeyField(path, f.accountHashKey) };
}

function writeTrustRootFile(
  path: string,
  root: PrivateKey,
  lastKeyId: number,
  accountHashKey: Uint8Array,
  replace: boolean,
): void {
  writeKeyFile(
    path,
    {
      kind: 'wisp-trust-root',
      version: 1,
      privateKey: b64(root.serialize()),
      publicKey: b64(root.getPublicKey().serialize()),
      lastKeyId,
      accountHashKey: b64(accountHashKey),
    } satisfies z.infer<typeof TrustRootFile>,
    replace,
  );
}

export interface KeygenResult {
  /** The trust root's public key (base64), the value clients pin. */
  trustRoot: string;
  keyId: number;
  createdRoot: boolean;
  /**
   * Where the new server key's account-hash key came from: the root file ('root'), the file given
   * with --hash-key-from ('copied'), or made now for a root that had none ('new').
   */
  accountHashKey: 'root' | 'copied' | 'new';
}

/**
 * `wisp-relay keygen`: creates the trust root at `rootPath` if there is none yet, then signs a new
 * server key with the next key id and writes it to `serverKeyPath`. Run it where the root file
 * lives (offline); copy only the server key file to the relay. The root keeps the account-hash
 * key and hands it to every server key; `hashKeyFrom` (a relay's current server key file) sets it
 * to the key that relay's database was made with, for roots from before issue 14.
 */
export function keygen(rootPath: string, serverKeyPath: string, hashKeyFrom?: string): KeygenResult {
  let root: PrivateKey;
  let lastKeyId = 0;
  let createdRoot = false;
  let rootHashKey: Uint8Array | null = null;
  const copied = hashKeyFrom === undefined ? null : readServerKeyFile(hashKeyFrom).accountHashKey;
  try {
    ({ root, lastKeyId, accountHashKey: rootHashKey } = readTrustRootFile(rootPath));
  } catch (error) {
    if (!(error instanceof WispError && error.kind === 'NotFound')) throw error;
    root = PrivateKey.generate();
    rootHashKey = copied ?? randomBytes(HASH_KEY_BYTES);
    writeTrustRootFile(rootPath, root, 0, rootHashKey, false);
    createdRoot = true;
  }
  const source: KeygenResult['accountHashKey'] = copied ? 'copied' : rootHashKey ? 'root' : 'new';
  const accountHashKey = copied ?? rootHashKey ?? randomBytes(HASH_KEY_BYTES);
  let keyId = lastKeyId + 1;
  if (keyId === REVOKED_KEY_ID) keyId++;
  if (keyId > MAX_KEY_ID) throw new WispError('InvalidInput', 'this trust root has used every key id');
  const key = issueServerKey(root, keyId, accountHashKey);
  // The server key file first: if it cannot be written, the root's counter is left as it was.
  writeServerKeyFile(serverKeyPath, key);
  writeTrustRootFile(rootPath, root, keyId, accountHashKey, true);
  return { trustRoot: b64(key.trustRoot.serialize()), keyId, createdRoot, accountHashKey: source };
}

/**
 * A key for a relay that was given no key file (development, tests): a trust root made in memory
 * signs key id 1 and is dropped at once, so nothing can sign another server certificate for it.
 */
export function throwawayServerKey(): ServerKey {
  return issueServerKey(PrivateKey.generate(), 1);
}

/**
 * How startRelay gets its server key. `path` is the key file (null: none, keep a throwaway key in
 * memory); `explicit` says the operator named it, so a missing file is an error rather than a
 * development key to create. Returns the handler for keys an older relay left in its database
 * (types.ts LegacyKeysHandler) and `finish()`, called once storage is open, giving the key.
 */
export function prepareServerKey(
  path: string | null,
  explicit: boolean,
  log: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void },
): { onLegacyServerKeys: (keys: LegacyKeyParts) => void; finish(): ServerKey } {
  // A key file that is there must be valid before anything else happens (no migration on a typo).
  const present = path !== null && existsSync(path) ? readServerKeyFile(path) : null;
  let exported: ServerKey | null = null;
  let finished: ServerKey | null = null;
  return {
    onLegacyServerKeys(keys) {
      let legacyRoot: PublicKey;
      try {
        legacyRoot = PrivateKey.deserialize(new Uint8Array(keys.trustRootPrivate)).getPublicKey();
      } catch {
        throw invalidKeyFile('database', 'the stored trust root is not a key');
      }
      const legacy = serverKeyFromParts(
        {
          privateKey: keys.serverPrivate,
          certificate: keys.serverCertificate,
          trustRoot: legacyRoot.serialize(),
        },
        'database',
      );
      if (path === null)
        throw new WispError(
          'InvalidInput',
          'this database holds the sealed-sender keys of an older relay, which are moved out of it on upgrade',
          { recovery: 'start the relay with --server-key FILE naming a file that does not exist yet' },
        );
      if (present) {
        if (!Buffer.from(present.trustRoot.serialize()).equals(Buffer.from(legacyRoot.serialize())))
          log.warn(
            { serverKeyFile: path },
            'the old trust root in the database is dropped and differs from the server key file; clients that pinned it must re-pin',
          );
        return;
      }
      // Clients pinned the old root: its server key and certificate keep them working. The root's
      // private key is not written anywhere; it is gone with the table. The file is new, so it
      // gets a random account-hash key (the accounts are rehashed under it by migration 3).
      exported = { ...legacy, accountHashKey: randomBytes(HASH_KEY_BYTES) };
      writeServerKeyFile(path, exported);
      log.warn(
        { serverKeyFile: path, keyId: legacy.keyId },
        'moved the server key out of the database into its own file and dropped the trust-root private key (see PROTOCOL.md, keys)',
      );
    },
    // Memoised: the storage's migration asks for the account-hash key (after any legacy export)
    // and startRelay then asks for the whole key; both must get the same one.
    finish() {
      finished ??= resolve();
      return finished;
    },
  };
  function resolve(): ServerKey {
    if (present) return present;
    if (exported) return exported;
    if (path !== null && existsSync(path)) return readServerKeyFile(path);
    if (path !== null && explicit) return readServerKeyFile(path); // throws NotFound with the hint
    const key = throwawayServerKey();
    if (path !== null) {
      writeServerKeyFile(path, key);
      log.info(
        { serverKeyFile: path },
        'created a development server key whose trust root was discarded; use `wisp-relay keygen` to be able to rotate it',
      );
    } else log.warn({}, 'no server key file: using a throwaway key in memory (development only)');
    return key;
  }
}

/** The legacy rows as the storage layer reads them (storage/types.ts LegacyServerKeys). */
export interface LegacyKeyParts {
  trustRootPrivate: Uint8Array;
  serverPrivate: Uint8Array;
  serverCertificate: Uint8Array;
}
