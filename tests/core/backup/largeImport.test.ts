// Import of large attachments, where the re-encrypted writes are queued on the thread pool and each
// file is fsynced and renamed in the background: the restored files are byte-equal, and a failure
// or cancellation deep inside the second file (the first still being fsynced, writes in flight)
// leaves no profile folder, no temporary folder, no stray file.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportBackup, importBackup } from '../../../core/backup';
import { chunkSize, parseIdentity, type Identity } from '../../../core/backup/age';
import { encryptedChunkSize } from '../../../core/backup/age/chunkWorkers';
import { createProfile, openProfile } from '../../../core/profile';
import { readEncryptedFile } from '../../../core/store/attachmentFiles';
import { sql } from '../../../core/store/sql';
import { isWispError } from '../../../common/errors';
import { mibSlices, seedAttachment, seedAttachmentOwner } from '../../helpers/backup/attachmentProfile';
import { testKeyStore } from '../../helpers/engine/fixtures';
import { tempDir } from '../../helpers/store/tempProfile';

const MIB = 1 << 20;
/** A 40 MiB file (past the 32 MiB writeback step and the 8 MiB write queue) and a 12 MiB one. */
const SIZES = [40 * MIB, 12 * MIB];
const temp = tempDir('wisp-large-import-');
const root = temp.dir;
let area: string;
let backupFile: string;
let identities: Identity[];
const contents: Buffer[] = [];

beforeAll(async () => {
  area = join(root, 'imports');
  mkdirSync(area);
  const profile = await createProfile(join(root, 'original'), testKeyStore());
  try {
    const store = profile.store;
    seedAttachmentOwner(store, 'large');
    SIZES.forEach((size, f) => {
      const bytes = randomBytes(size);
      contents.push(bytes);
      seedAttachment(store, profile.attachmentsDir, f, mibSlices(bytes));
    });
    backupFile = join(root, 'large.age');
    const result = await exportBackup({
      store,
      attachmentsDir: profile.attachmentsDir,
      outFile: backupFile,
      protection: { kind: 'recoveryKey' },
    });
    identities = [parseIdentity(result.recoveryKey!)];
  } finally {
    profile.close();
  }
});

afterAll(() => temp.cleanup());

const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Where in the age file the second attachment's plaintext is, roughly: past the first file's 40 MiB. */
function offsetInto(mib: number): number {
  const header = readFileSync(backupFile).subarray(0, 4096);
  const payload = header.indexOf('\n', header.indexOf('\n---') + 1) + 1 + 16;
  const chunk = Math.floor((mib * MIB) / chunkSize);
  return payload + chunk * encryptedChunkSize + 1000;
}

describe('import of large attachments (queued writes, background fsync)', () => {
  it('restores both files byte for byte, with no temporary file left', async () => {
    const target = join(area, 'restored');
    await importBackup({ inFile: backupFile, targetDir: target, keystore: testKeyStore(), identities });
    const restored = await openProfile(target, testKeyStore());
    try {
      const names = readdirSync(restored.attachmentsDir);
      expect(names).toHaveLength(2);
      expect(names.some((n) => n.endsWith('.tmp'))).toBe(false);
      SIZES.forEach((_, f) => {
        const row = restored.store.read.get<{ local_path: string; local_key: Buffer }>(
          sql`SELECT local_path, local_key FROM attachments WHERE id = ${`a${f}`}`,
        )!;
        const bytes = readEncryptedFile(restored.attachmentsDir, row.local_path, `a${f}`, row.local_key);
        expect(digest(bytes)).toBe(digest(contents[f]!));
      });
    } finally {
      restored.close();
    }
  });

  it('a flipped bit inside the second file leaves no profile and no temporary folder (BackupCorrupt)', async () => {
    const damaged = readFileSync(backupFile);
    damaged[offsetInto(46)]! ^= 1;
    const inFile = join(root, 'damaged.age');
    writeFileSync(inFile, damaged);
    const before = readdirSync(area);
    const error = await importBackup({
      inFile,
      targetDir: join(area, 'damaged'),
      keystore: testKeyStore(),
      identities,
    }).catch((e: unknown) => e);
    expect(isWispError(error, 'BackupCorrupt'), String(error)).toBe(true);
    expect(readdirSync(area)).toEqual(before);
  });

  it('a cancellation inside the second file leaves no profile and no temporary folder (BackupCancelled)', async () => {
    const controller = new AbortController();
    const before = readdirSync(area);
    let sawTemp = false;
    const error = await importBackup({
      inFile: backupFile,
      targetDir: join(area, 'cancelled'),
      keystore: testKeyStore(),
      identities,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.bytes >= 44 * MIB && !controller.signal.aborted) {
          sawTemp = readdirSync(area).some((n) => n.includes('.import-'));
          controller.abort();
        }
      },
    }).catch((e: unknown) => e);
    expect(isWispError(error, 'BackupCancelled'), String(error)).toBe(true);
    expect(sawTemp).toBe(true);
    expect(readdirSync(area)).toEqual(before);
  });
});
