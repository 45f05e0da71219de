// A profile folder: the SQLCipher database, an attachments/ folder of encrypted files, and the
// metadata file that says where the database key lives. Creating, opening and rekeying one.
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { WispError, isWispError } from '../../common/errors';
import {
  keyStoreFor,
  newDatabaseKey,
  type DatabaseKey,
  type KeyStore,
  type KeyStoreChoice,
  type SealedKey,
} from '../vault/index';
import { Store, type OpenStoreOptions } from '../store/store';
import { METADATA_FILE, readMetadata, writeMetadata, type ProfileMetadata } from './profileMetadata';
import { LOCK_FILE, acquireProfileLock, type ProfileLock } from './profileLock';
import { shredProfileFiles } from './profileWipe';

export const DATABASE_FILE = 'wisp.db';
export const ATTACHMENTS_DIR = 'attachments';

export interface Profile {
  readonly dir: string;
  readonly id: string;
  /** Which key store seals the database key now (changeKeyStore may move it). */
  readonly keyStoreKind: KeyStore['kind'];
  readonly store: Store;
  readonly attachmentsDir: string;
  /** Re-encrypts the database under a fresh random key and seals that key in the same key store. */
  rekey(): Promise<void>;
  /**
   * Moves the database key to another key store (a new passphrase, or from the keychain to a
   * passphrase), then rekeys. `current`, when given, must unseal the key first: that is how a
   * passphrase change proves the old passphrase (WrongPassphrase otherwise, nothing changed).
   */
  changeKeyStore(next: KeyStore, current?: KeyStore): Promise<void>;
  /** Closes the profile and shreds it: the sealed key (keychain entry too) and every file go. */
  wipe(): Promise<void>;
  /** Closes the database and releases the profile's lock, so another window or command can open it. */
  close(): void;
}

export type ProfileKeyStoreOption = KeyStoreChoice | KeyStore;

export interface ProfileOptions {
  readonly onSlowQuery?: OpenStoreOptions['onSlowQuery'];
}

/**
 * Creates a new profile in `dir` (which may exist but must be empty, apart from a left-over lock
 * file). Existing profile → ProfileExists; another process creating it at the same moment → ProfileInUse.
 */
export async function createProfile(
  dir: string,
  keystore: ProfileKeyStoreOption,
  options: ProfileOptions = {},
): Promise<Profile> {
  const root = resolve(dir);
  if (existsSync(join(root, METADATA_FILE)) || existsSync(join(root, DATABASE_FILE))) {
    throw new WispError('ProfileExists', 'a profile already exists in this folder', {
      recovery: 'Choose another --profile folder, or open the existing one.',
    });
  }
  if (existsSync(root) && (!statSync(root).isDirectory() || !isEmptyButForLock(root))) {
    throw new WispError('ProfileExists', 'the profile folder is not empty');
  }
  const keyStore = keyStoreFor(keystore);
  const profileId = randomUUID();
  const key = newDatabaseKey();
  // Seal first: if the keychain is unavailable nothing has been written, so the user can retry
  // the same folder with --keystore passphrase.
  let sealed: SealedKey;
  try {
    sealed = await keyStore.seal(profileId, key);
  } catch (cause) {
    key.fill(0);
    throw cause;
  }
  const rootExisted = existsSync(root);
  let lock: ProfileLock;
  try {
    mkdirSync(root, { recursive: true, mode: 0o700 });
    lock = acquireProfileLock(root);
  } catch (cause) {
    // Another process holds the folder: what is in it is theirs, so nothing is removed here.
    key.fill(0);
    await discardQuietly(keyStore, sealed, { kind: 'safeStorage', blob: '-' });
    throw cause;
  }
  // Checked again under the lock: a concurrent create may have finished between the check above
  // and taking the lock.
  if (!isEmptyButForLock(root)) {
    lock.release();
    key.fill(0);
    await discardQuietly(keyStore, sealed, { kind: 'safeStorage', blob: '-' });
    throw new WispError('ProfileExists', 'a profile was just created in this folder by another process', {
      recovery: 'Choose another --profile folder, or open the existing one.',
    });
  }
  let store: Store | undefined;
  try {
    mkdirSync(join(root, ATTACHMENTS_DIR), { recursive: true, mode: 0o700 });
    restrictToOwner(root, 0o700);
    store = Store.open({ ...storeOptions(root, key, options), create: true });
    // SQLite creates files with 0644; the WAL and SHM take the database file's mode when they are
    // (re)created, so fixing all three now keeps every later file private too.
    for (const name of [DATABASE_FILE, `${DATABASE_FILE}-wal`, `${DATABASE_FILE}-shm`])
      restrictToOwner(join(root, name), 0o600);
    // Metadata last: a folder without it is an unfinished create, never a profile that cannot be opened.
    writeMetadata(root, { format: 1, profileId, createdAt: Date.now(), key: sealed });
    return makeProfile(root, profileId, keyStore, store, lock, options);
  } catch (cause) {
    // The half-made files go while the lock is still held, so no other opener sees them.
    store?.close();
    if (rootExisted) {
      for (const name of [
        DATABASE_FILE,
        `${DATABASE_FILE}-wal`,
        `${DATABASE_FILE}-shm`,
        ATTACHMENTS_DIR,
        METADATA_FILE,
      ]) {
        rmSync(join(root, name), { recursive: true, force: true });
      }
    } else {
      rmSync(root, { recursive: true, force: true });
    }
    lock.release();
    await discardQuietly(keyStore, sealed, { kind: 'safeStorage', blob: '-' });
    throw cause;
  } finally {
    key.fill(0);
  }
}

/**
 * Opens an existing profile and holds its lock until `close()`. Missing folder or metadata →
 * ProfileNotFound; open elsewhere (another process, or this one) → ProfileInUse; wrong passphrase →
 * WrongPassphrase.
 */
export async function openProfile(
  dir: string,
  keystore: ProfileKeyStoreOption,
  options: ProfileOptions = {},
): Promise<Profile> {
  const root = resolve(dir);
  if (!existsSync(root)) {
    throw new WispError('ProfileNotFound', 'the profile folder does not exist', {
      recovery: 'Check --profile, or run `wisp init` to create a profile there.',
    });
  }
  // Read once before locking so a folder that is not a profile never gets a lock file.
  readMetadata(root);
  const lock = acquireProfileLock(root);
  try {
    return await openLocked(root, keystore, lock, options);
  } catch (cause) {
    lock.release();
    throw cause;
  }
}

async function openLocked(
  root: string,
  keystore: ProfileKeyStoreOption,
  lock: ProfileLock,
  options: ProfileOptions,
): Promise<Profile> {
  // Read again under the lock: the previous holder may have rekeyed in between.
  const metadata = readMetadata(root);
  const keyStore = keyStoreFor(keystore);
  if (keyStore.kind !== metadata.key.kind) {
    throw new WispError('InvalidInput', `this profile keeps its key in the ${metadata.key.kind} key store`, {
      recovery:
        metadata.key.kind === 'passphrase'
          ? 'Use --keystore passphrase with the passphrase in WISP_PASSPHRASE.'
          : `Use --keystore ${metadata.key.kind === 'keychain' ? 'keychain' : 'keychain (inside the app)'}.`,
    });
  }
  mkdirSync(join(root, ATTACHMENTS_DIR), { recursive: true, mode: 0o700 });
  const store = await openWithKeys(root, metadata, keyStore, options);
  return makeProfile(root, metadata.profileId, keyStore, store, lock, options);
}

/**
 * Tries the current key; if a rekey was interrupted after the database was rewritten, the pending
 * key opens it and becomes current.
 */
async function openWithKeys(
  root: string,
  metadata: ProfileMetadata,
  keyStore: KeyStore,
  options: ProfileOptions,
): Promise<Store> {
  const key = await keyStore.unseal(metadata.key);
  try {
    return Store.open(storeOptions(root, key, options));
  } catch (cause) {
    if (!isWispError(cause, 'WrongKey') || !metadata.pendingKey) throw cause;
  } finally {
    key.fill(0);
  }
  const pending = await keyStore.unseal(metadata.pendingKey);
  try {
    const store = Store.open(storeOptions(root, pending, options));
    const { pendingKey, ...rest } = metadata;
    const previous = metadata.key;
    writeMetadata(root, { ...rest, key: pendingKey });
    await discardQuietly(keyStore, previous, pendingKey);
    return store;
  } finally {
    pending.fill(0);
  }
}

function storeOptions(root: string, key: DatabaseKey, options: ProfileOptions): OpenStoreOptions {
  return {
    path: join(root, DATABASE_FILE),
    key,
    attachmentsDir: join(root, ATTACHMENTS_DIR),
    ...(options.onSlowQuery ? { onSlowQuery: options.onSlowQuery } : {}),
  };
}

function makeProfile(
  root: string,
  id: string,
  initialKeyStore: KeyStore,
  store: Store,
  lock: ProfileLock,
  _options: ProfileOptions,
): Profile {
  let keyStore = initialKeyStore;
  return {
    dir: root,
    id,
    get keyStoreKind() {
      return keyStore.kind;
    },
    store,
    attachmentsDir: join(root, ATTACHMENTS_DIR),
    async rekey() {
      const metadata = readMetadata(root);
      const next = newDatabaseKey();
      try {
        // 1. seal the new key beside the old one, 2. rewrite the database, 3. make it current.
        // A crash after 1 or 2 leaves a profile that openWithKeys can still open.
        const slot = `${id}.${Date.now().toString(36)}`;
        const sealed = await keyStore.seal(slot, next);
        writeMetadata(root, { ...metadata, pendingKey: sealed });
        store.rekey(next);
        writeMetadata(root, {
          format: 1,
          profileId: metadata.profileId,
          createdAt: metadata.createdAt,
          key: sealed,
        });
        await discardQuietly(keyStore, metadata.key, sealed);
      } finally {
        next.fill(0);
      }
    },
    async changeKeyStore(next, current) {
      const metadata = readMetadata(root);
      const key = await (current ?? keyStore).unseal(metadata.key);
      try {
        // Sealed under the new store and swapped in by one atomic metadata write; then the old
        // sealed copy goes, and the rekey makes the old copy useless even to whoever kept one.
        const slot = `${id}.${Date.now().toString(36)}`;
        const sealed = await next.seal(slot, key);
        writeMetadata(root, { ...metadata, key: sealed });
        const previous = keyStore;
        keyStore = next;
        if (previous.kind !== next.kind) {
          try {
            await previous.discard(metadata.key);
          } catch {
            // A stale sealed copy of a key the rekey below retires.
          }
        } else {
          await discardQuietly(previous, metadata.key, sealed);
        }
      } finally {
        key.fill(0);
      }
      await this.rekey();
    },
    async wipe() {
      try {
        store.close();
        await shredProfileFiles(root, keyStore);
      } finally {
        lock.release();
      }
      rmSync(root, { recursive: true, force: true });
    },
    close() {
      try {
        store.close();
      } finally {
        lock.release();
      }
    },
  };
}

/** Removes the old keychain entry unless it is the one now in use. Failure only leaves a stale entry behind. */
async function discardQuietly(
  keyStore: KeyStore,
  old: ProfileMetadata['key'],
  current: ProfileMetadata['key'],
): Promise<void> {
  if (JSON.stringify(old) === JSON.stringify(current)) return;
  try {
    await keyStore.discard(old);
  } catch {
    // A stale sealed copy of a key that no longer opens anything.
  }
}

/** True for an empty folder or one holding only a lock file left by an earlier (failed) create. */
function isEmptyButForLock(root: string): boolean {
  return readdirSync(root).every((name) => name === LOCK_FILE);
}

/** Owner-only permissions on POSIX; everything in the folder is encrypted, this is defence in depth. */
function restrictToOwner(path: string, mode: number): void {
  if (process.platform === 'win32' || !existsSync(path)) return;
  chmodSync(path, mode);
}
