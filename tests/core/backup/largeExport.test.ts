// Export of large attachments, read and decrypted on the attachment reader's worker several MiB
// ahead of the sealing: the age CLI opens the result and finds each file's bytes; an attachment
// file damaged deep inside, or a cancellation mid-file, leaves no backup and no partial file, and
// the next export still works.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportBackup } from '../../../core/backup';
import { createProfile, openProfile } from '../../../core/profile';
import { isWispError } from '../../../common/errors';
import { mibSlices, seedAttachment, seedAttachmentOwner } from '../../helpers/backup/attachmentProfile';
import { testKeyStore } from '../../helpers/engine/fixtures';
import { tempDir } from '../../helpers/store/tempProfile';

const MIB = 1 << 20;
/** Past the reader's 4 MiB window and the sealing's runs in flight; the second not whole MiBs. */
const SIZES = [24 * MIB, 5 * MIB + 12345];
const temp = tempDir('wisp-large-export-');
const root = temp.dir;
const profileDir = join(root, 'original');
const contents: Buffer[] = [];
const files: string[] = [];

beforeAll(async () => {
  const profile = await createProfile(profileDir, testKeyStore());
  try {
    seedAttachmentOwner(profile.store, 'large');
    SIZES.forEach((size, f) => {
      const bytes = randomBytes(size);
      contents.push(bytes);
      files.push(seedAttachment(profile.store, profile.attachmentsDir, f, mibSlices(bytes)).path);
    });
  } finally {
    profile.close();
  }
});

afterAll(() => temp.cleanup());

async function exportTo(
  outFile: string,
  options: { signal?: AbortSignal; onBytes?: (bytes: number) => void } = {},
): Promise<string> {
  const profile = await openProfile(profileDir, testKeyStore());
  try {
    const result = await exportBackup({
      store: profile.store,
      attachmentsDir: profile.attachmentsDir,
      outFile,
      protection: { kind: 'recoveryKey' },
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      onProgress: (p) => options.onBytes?.(p.bytes),
    });
    return result.recoveryKey!;
  } finally {
    profile.close();
  }
}

/** The record stream's attachment bytes of file `f`, read back from the age CLI's decryption. */
function attachmentBytes(plain: Buffer, f: number): Buffer {
  const start = plain.indexOf(Buffer.from(`{"id":"a${f}","size":${SIZES[f]}}`));
  expect(start).toBeGreaterThan(0);
  const parts: Buffer[] = [];
  let at = start + `{"id":"a${f}","size":${SIZES[f]}}`.length;
  // Chunk frames (type 4) follow the start record until the end record (type 5).
  while (plain[at] === 4) {
    const length = plain.readUInt32BE(at + 1);
    parts.push(plain.subarray(at + 5, at + 5 + length));
    at += 5 + length;
  }
  expect(plain[at]).toBe(5);
  return Buffer.concat(parts);
}

describe('export of large attachments (read and decrypted on a worker)', () => {
  it('the age CLI opens the export and finds every byte of each file', async () => {
    const out = join(root, 'ok', 'large.age');
    mkdirSync(join(root, 'ok'));
    const key = await exportTo(out);
    writeFileSync(join(root, 'ok', 'key.txt'), `${key}\n`);
    const opened = spawnSync('age', ['-d', '-i', join(root, 'ok', 'key.txt'), out], {
      maxBuffer: 64 * MIB,
    });
    expect(opened.status, String(opened.stderr)).toBe(0);
    SIZES.forEach((_, f) => expect(attachmentBytes(opened.stdout, f).equals(contents[f]!)).toBe(true));
  });

  it('a cancellation inside the first file leaves no backup and no partial file; the next export works', async () => {
    const outDir = join(root, 'cancelled');
    mkdirSync(outDir);
    const controller = new AbortController();
    let abortedAt = 0;
    const error = await exportTo(join(outDir, 'large.age'), {
      signal: controller.signal,
      onBytes: (bytes) => {
        if (bytes >= 8 * MIB && !controller.signal.aborted) {
          abortedAt = bytes;
          controller.abort();
        }
      },
    }).catch((e: unknown) => e);
    expect(isWispError(error, 'BackupCancelled'), String(error)).toBe(true);
    expect(abortedAt).toBeLessThan(SIZES[0]!);
    expect(readdirSync(outDir)).toEqual([]);
    await exportTo(join(outDir, 'again.age'));
    expect(readdirSync(outDir)).toEqual(['again.age']);
  });

  // Last: it damages the first attachment file on disk.
  it('a byte flipped 20 MiB into an attachment file fails the export (DatabaseCorrupt), leaving nothing', async () => {
    const damaged = readFileSync(files[0]!);
    damaged[20 * MIB]! ^= 1;
    writeFileSync(files[0]!, damaged);
    const outDir = join(root, 'damaged');
    mkdirSync(outDir);
    const error = await exportTo(join(outDir, 'large.age')).catch((e: unknown) => e);
    expect(isWispError(error, 'DatabaseCorrupt'), String(error)).toBe(true);
    expect(readdirSync(outDir)).toEqual([]);
  });
});
