// Every import refusal: its own error kind, and the target (and the folder around it) left exactly as
// it was — no profile folder, no temporary folder, an existing profile untouched.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importBackup, type ExportResult } from '../../../core/backup';
import {
  chunkSize,
  decrypt,
  encodeIdentity,
  encrypt,
  generateX25519SecretKey,
  parseIdentity,
  x25519PublicKey,
  type Identity,
} from '../../../core/backup/age';
import { ByteReader } from '../../../core/backup/age/byteReader';
import { readHeader } from '../../../core/backup/age/header';
import { FORMAT_VERSION, jsonFrame, MAGIC, RecordType } from '../../../core/backup/recordFormat';
import type { WispErrorKind } from '../../../common/errors';
import { isWispError } from '../../../common/errors';
import { sql } from '../../../core/store/sql';
import { testKeyStore } from '../../helpers/engine/fixtures';
import { createBackupWorld, recoveryIdentity, type BackupWorld } from '../../helpers/backup/backupFixture';

let bw: BackupWorld;
let exported: ExportResult;
let file: Buffer;
let identities: Identity[];
let plaintext: Buffer;
let area: string;

async function collect(source: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of source) parts.push(part);
  return Buffer.concat(parts);
}

async function* once(bytes: Buffer): AsyncGenerator<Buffer> {
  yield bytes;
}

beforeAll(async () => {
  bw = await createBackupWorld();
  area = join(bw.world.root, 'imports');
  mkdirSync(area);
  const path = join(bw.world.root, 'alice.age');
  exported = await bw.export(path, { kind: 'recoveryKey' });
  file = readFileSync(path);
  identities = recoveryIdentity(exported);
  plaintext = await collect(decrypt(once(file), identities));
});

afterAll(async () => {
  await bw.world.close();
});

/** A listing of `dir` with every file's size and hash: what "left as it was" means here. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, prefix: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p, `${prefix}${name}/`);
      else out.push(`${prefix}${name} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`);
    }
  };
  walk(dir, '');
  return out;
}

async function expectRefused(
  bytes: Buffer,
  kind: WispErrorKind,
  options: { identities?: Identity[]; target?: string } = {},
): Promise<void> {
  const inFile = join(bw.world.root, `candidate-${kind}.age`);
  writeFileSync(inFile, bytes);
  const target = options.target ?? join(area, 'restored');
  const before = snapshot(area);
  const error = await importBackup({
    inFile,
    targetDir: target,
    keystore: testKeyStore(),
    identities: options.identities ?? identities,
  }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(isWispError(error, kind), `expected ${kind}, got ${String(error)}`).toBe(true);
  expect((error as { recovery?: string }).recovery).toBeTruthy();
  expect(snapshot(area)).toEqual(before);
}

async function sealed(plain: Buffer): Promise<Buffer> {
  return collect(encrypt(once(plain), [{ kind: 'x25519', publicKey: publicOf(identities[0]!) }]));
}

function publicOf(identity: Identity): Buffer {
  if (identity.kind !== 'x25519') throw new Error('x25519 only');
  return x25519PublicKey(identity.secretKey);
}

async function headerLength(bytes: Buffer): Promise<number> {
  const header = await readHeader(new ByteReader(once(bytes)));
  return header.macInput.length + 1 + 43 + 1;
}

describe('backup import refusals', () => {
  it('the export is large enough for multi-chunk tests', () => {
    expect(file.length).toBeGreaterThan(3 * chunkSize);
  });

  it('refuses a wrong recovery key (BackupWrongKey)', async () => {
    const other = parseIdentity(encodeIdentity(generateX25519SecretKey()));
    await expectRefused(file, 'BackupWrongKey', { identities: [other] });
  });

  it('refuses a passphrase on a recovery-key backup (BackupWrongKey)', async () => {
    await expectRefused(file, 'BackupWrongKey', { identities: [{ kind: 'scrypt', passphrase: 'guess' }] });
  });

  it('refuses a file cut at a chunk boundary (BackupTruncated)', async () => {
    const cut = (await headerLength(file)) + 16 + 2 * (chunkSize + 16);
    await expectRefused(file.subarray(0, cut), 'BackupTruncated');
  });

  it('refuses a file cut inside its header (BackupTruncated)', async () => {
    await expectRefused(file.subarray(0, 60), 'BackupTruncated');
  });

  it('refuses a file cut in the middle of a chunk (BackupCorrupt: cannot be told from damage)', async () => {
    await expectRefused(file.subarray(0, Math.floor(file.length / 2)), 'BackupCorrupt');
  });

  it('refuses a record stream cut at a record boundary, even when properly encrypted (BackupTruncated)', async () => {
    const trailerAt = plaintext.lastIndexOf(Buffer.from([RecordType.trailer]), plaintext.length - 5);
    // Find the trailer frame: the last frame of the stream.
    let offset = MAGIC.length;
    let lastStart = offset;
    while (offset < plaintext.length) {
      lastStart = offset;
      offset += 5 + plaintext.readUInt32BE(offset + 1);
    }
    expect(plaintext[lastStart]).toBe(RecordType.trailer);
    expect(trailerAt).toBeGreaterThan(0);
    await expectRefused(await sealed(plaintext.subarray(0, lastStart)), 'BackupTruncated');
    // A row dropped from the middle: the trailer's counts no longer match.
    const second = MAGIC.length + 5 + plaintext.readUInt32BE(MAGIC.length + 1);
    const secondEnd = second + 5 + plaintext.readUInt32BE(second + 1);
    expect(plaintext[second]).toBe(RecordType.row);
    const dropped = Buffer.concat([plaintext.subarray(0, second), plaintext.subarray(secondEnd)]);
    await expectRefused(await sealed(dropped), 'BackupTruncated');
  });

  it('refuses a flipped bit in the payload and in the header (BackupCorrupt)', async () => {
    const start = await headerLength(file);
    for (const at of [start + 16 + 1000, start + 16 + chunkSize + 16 + 5, start - 10]) {
      const flipped = Buffer.from(file);
      flipped[at]! ^= 0x04;
      await expectRefused(flipped, 'BackupCorrupt');
    }
  });

  it('refuses a file that is not age (BackupNotAge)', async () => {
    await expectRefused(Buffer.from('just some text\nnot a backup\n'), 'BackupNotAge');
    await expectRefused(readFileSync(join(bw.aliceDir, 'wisp.db')), 'BackupNotAge');
    await expectRefused(Buffer.alloc(0), 'BackupNotAge');
  });

  it('refuses an unknown record format version and a newer profile schema (BackupUnsupportedVersion)', async () => {
    const withHeader = (header: Record<string, unknown>) =>
      sealed(Buffer.concat([MAGIC, ...jsonFrame(RecordType.header, header)]));
    const base = { kind: 'profile', createdAt: Date.now(), accountId: 'a', schemaVersion: 1 };
    await expectRefused(
      await withHeader({ ...base, format: FORMAT_VERSION + 1 }),
      'BackupUnsupportedVersion',
    );
    await expectRefused(
      await withHeader({ ...base, format: FORMAT_VERSION, schemaVersion: 9999 }),
      'BackupUnsupportedVersion',
    );
    await expectRefused(Buffer.from('age-encryption.org/v2\n-> X25519 abc\n'), 'BackupUnsupportedVersion');
  });

  it('refuses a backup of another kind, and an age file that is not a Wisp backup (BackupWrongKind)', async () => {
    const header = {
      format: FORMAT_VERSION,
      kind: 'room-archive',
      createdAt: 1,
      accountId: 'a',
      schemaVersion: 1,
    };
    await expectRefused(
      await sealed(Buffer.concat([MAGIC, ...jsonFrame(RecordType.header, header)])),
      'BackupWrongKind',
    );
    await expectRefused(await sealed(Buffer.from('a tarball, say')), 'BackupWrongKind');
  });

  it('refuses a target that already holds a profile, and leaves that profile as it was (ProfileExists)', async () => {
    const before = snapshot(bw.aliceDir);
    await expectRefused(file, 'ProfileExists', { target: bw.aliceDir });
    expect(snapshot(bw.aliceDir)).toEqual(before);
    const busy = join(area, 'not-empty');
    mkdirSync(busy);
    writeFileSync(join(busy, 'notes.txt'), 'mine');
    await expectRefused(file, 'ProfileExists', { target: busy });
  });

  it('a cancelled import leaves no profile folder and no temporary folder', async () => {
    // Cancelled after the header: the temporary profile has been created by then (the signal is
    // checked per record), so this exercises the clean-up, not an early refusal.
    const controller = new AbortController();
    const target = join(area, 'cancelled');
    const before = snapshot(area);
    const seen: string[][] = [];
    const error = await importBackup({
      inFile: join(bw.world.root, 'alice.age'),
      targetDir: target,
      keystore: testKeyStore(),
      identities,
      onProgress: () => {
        seen.push(readdirSync(area));
        controller.abort();
      },
      signal: controller.signal,
    }).catch((e: unknown) => e);
    expect(isWispError(error, 'BackupCancelled')).toBe(true);
    expect(seen.length).toBeGreaterThan(0);
    expect(snapshot(area)).toEqual(before);
    expect(readdirSync(area).some((name) => name.includes('import-'))).toBe(false);
  });

  // Last: it damages alice's at-rest attachment file.
  it('an export that fails midway (a damaged attachment file) leaves neither the file nor a partial one', async () => {
    const profile = await bw.openAlice();
    let attachmentPath: string;
    try {
      const [row] = profile.store.read.all<{ local_path: string }>(
        sql`SELECT local_path FROM attachments WHERE local_path IS NOT NULL`,
      );
      attachmentPath = join(profile.attachmentsDir, row!.local_path);
    } finally {
      profile.close();
    }
    const damaged = readFileSync(attachmentPath);
    damaged[damaged.length - 40]! ^= 1;
    writeFileSync(attachmentPath, damaged);
    const outDir = join(bw.world.root, 'exports');
    mkdirSync(outDir);
    const error = await bw
      .export(join(outDir, 'alice.age'), { kind: 'recoveryKey' })
      .catch((e: unknown) => e);
    expect(isWispError(error, 'DatabaseCorrupt'), String(error)).toBe(true);
    expect(readdirSync(outDir)).toEqual([]);
  });
});
