// Shredding a profile folder ("delete account and wipe this device"): the sealed database key is
// destroyed first (the keychain entry, the wrapped key in profile.json), which alone makes the
// encrypted database unreadable; then every file is overwritten with random bytes and removed.
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  lstatSync,
  openSync,
  readdirSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { KeyStore } from '../vault/index';
import { LOCK_FILE } from './profileLock';
import { METADATA_FILE, readMetadata } from './profileMetadata';

/**
 * Destroys the profile in `root`, whose lock the caller holds (the lock file is left for the caller
 * to release and remove). Overwriting is defence in depth only: on SSDs and copy-on-write file
 * systems old blocks may survive, which is why the key goes first — without it they are noise.
 */
export async function shredProfileFiles(root: string, keyStore: KeyStore): Promise<void> {
  if (existsSync(join(root, METADATA_FILE))) {
    const metadata = readMetadata(root);
    // A keychain entry that cannot be removed stops the wipe: it would leave the key behind.
    await keyStore.discard(metadata.key);
    if (metadata.pendingKey) await keyStore.discard(metadata.pendingKey);
  }
  for (const name of readdirSync(root)) {
    if (name === LOCK_FILE) continue;
    const path = join(root, name);
    overwriteTree(path);
    rmSync(path, { recursive: true, force: true });
  }
}

function overwriteTree(path: string): void {
  const stat = lstatSync(path);
  if (stat.isDirectory()) {
    for (const name of readdirSync(path)) overwriteTree(join(path, name));
    return;
  }
  if (!stat.isFile() || stat.size === 0) return;
  const fd = openSync(path, 'r+');
  try {
    const chunk = 1024 * 1024;
    for (let at = 0; at < stat.size; at += chunk) {
      writeSync(fd, randomBytes(Math.min(chunk, stat.size - at)), 0, Math.min(chunk, stat.size - at), at);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
