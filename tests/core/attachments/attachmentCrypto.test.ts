// Tests for core/engine/attachmentCrypto on real files in a temp dir: round trips (10 MB and chunk
// boundaries), and rejection of tampering, truncation, reordering and wrong keys without leftovers.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isWispError, type WispErrorKind } from '../../../common/errors';
import {
  CHUNK_BYTES,
  HEADER_BYTES,
  createDecryptStream,
  decryptAttachment,
  decryptAttachmentFile,
  encryptAttachment,
  encryptAttachmentFile,
  type AttachmentOpening,
  type AttachmentSecrets,
} from '../../../core/engine/attachmentCrypto';

const SEALED = CHUNK_BYTES + 16;
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest();

let dir: string;
let plainPath: string;
let cipherPath: string;
let plain: Buffer;
let secrets: AttachmentSecrets;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wisp-attach-'));
  plainPath = join(dir, 'photo.bin');
  cipherPath = join(dir, 'photo.bin.enc');
  // 10 MB, not a multiple of the chunk size, with a readable marker to look for in the ciphertext.
  plain = randomBytes(10 * 1024 * 1024 + 12_345);
  Buffer.from('SECRET-MARKER-SECRET-MARKER').copy(plain, 5_000_000);
  writeFileSync(plainPath, plain);
  secrets = await encryptAttachmentFile(plainPath, cipherPath);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Files in the temp dir other than the fixtures: must stay empty after every failed decryption. */
function leftovers(...keep: string[]): string[] {
  const fixed = new Set(['photo.bin', 'photo.bin.enc', ...keep]);
  return readdirSync(dir).filter((f) => !fixed.has(f));
}

async function expectKind(promise: Promise<unknown>, kind: WispErrorKind): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    expect(isWispError(error, kind), String(error)).toBe(true);
    return error as Error;
  }
  throw new Error(`expected a ${kind} error`);
}

/** Writes a modified ciphertext and returns an opening whose digest matches it, so the AEAD layer is what gets tested. */
function forged(name: string, bytes: Buffer): { path: string; opening: AttachmentOpening } {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return { path, opening: { key: secrets.key, digest: sha256(bytes) } };
}

function collect(): { sink: Writable; bytes: () => Buffer } {
  const parts: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, done) {
      parts.push(chunk);
      done();
    },
  });
  return { sink, bytes: () => Buffer.concat(parts) };
}

/** Splits a buffer into pieces of varying sizes, to exercise the chunk reassembly. */
function pieces(bytes: Buffer, sizes: number[]): Readable {
  const out: Buffer[] = [];
  let offset = 0;
  for (let i = 0; offset < bytes.length; i++) {
    const size = sizes[i % sizes.length]!;
    out.push(bytes.subarray(offset, offset + size));
    offset += size;
  }
  return Readable.from(out, { objectMode: false });
}

describe('attachment encryption', () => {
  it('round-trips a 10 MB file through files on disk', async () => {
    const out = join(dir, 'photo.out');
    await decryptAttachmentFile(cipherPath, out, {
      key: secrets.key,
      digest: secrets.digest,
      size: secrets.size,
    });
    expect(sha256(readFileSync(out)).equals(sha256(plain))).toBe(true);
    rmSync(out);
    expect(leftovers()).toEqual([]);
  });

  it('returns a 32-byte key, the SHA-256 of the ciphertext, and both sizes', () => {
    const cipher = readFileSync(cipherPath);
    expect(secrets.key).toHaveLength(32);
    expect(secrets.digest.equals(sha256(cipher))).toBe(true);
    expect(secrets.size).toBe(plain.length);
    expect(secrets.ciphertextSize).toBe(cipher.length);
    expect(cipher.length).toBe(HEADER_BYTES + plain.length + 16 * Math.ceil(plain.length / CHUNK_BYTES));
  });

  it('leaves no plaintext in the ciphertext', () => {
    const cipher = readFileSync(cipherPath);
    expect(cipher.includes(Buffer.from('SECRET-MARKER'))).toBe(false);
    expect(cipher.includes(plain.subarray(1_000_000, 1_000_032))).toBe(false);
  });

  it('uses a fresh key and gives a different ciphertext for the same file each time', async () => {
    const small = Buffer.from('the same photo twice');
    const a = collect();
    const b = collect();
    const sa = await encryptAttachment(Readable.from([small]), a.sink);
    const sb = await encryptAttachment(Readable.from([small]), b.sink);
    expect(sa.key.equals(sb.key)).toBe(false);
    expect(a.bytes().equals(b.bytes())).toBe(false);
    expect(sa.digest.equals(sb.digest)).toBe(false);
  });

  it('round-trips sizes around chunk boundaries, fed in odd-sized pieces', async () => {
    for (const length of [
      0,
      1,
      CHUNK_BYTES - 1,
      CHUNK_BYTES,
      CHUNK_BYTES + 1,
      3 * CHUNK_BYTES,
      3 * CHUNK_BYTES + 17,
    ]) {
      const input = randomBytes(length);
      const enc = collect();
      const s = await encryptAttachment(pieces(input, [1, 7_001, 65_536, 100_003]), enc.sink);
      expect(s.size).toBe(length);
      const dec = collect();
      await decryptAttachment(pieces(enc.bytes(), [3, 50, 65_553, 131_072]), dec.sink, {
        key: s.key,
        digest: s.digest,
        size: length,
      });
      expect(dec.bytes().equals(input), `length ${length}`).toBe(true);
    }
  });
});

describe('attachment decryption refuses bad input', () => {
  it('rejects a tampered byte against the sent digest, before decrypting anything (digestFirst)', async () => {
    const cipher = readFileSync(cipherPath);
    cipher[HEADER_BYTES + 3 * SEALED + 100]! ^= 0x01;
    const path = join(dir, 'tampered-digest.enc');
    writeFileSync(path, cipher);
    const out = join(dir, 'tampered-digest.out');
    const opening = { key: secrets.key, digest: secrets.digest };
    const error = await expectKind(
      decryptAttachmentFile(path, out, opening, { digestFirst: true }),
      'DecryptionFailed',
    );
    expect(error.message).toMatch(/digest mismatch/);
    expect(leftovers('tampered-digest.enc')).toEqual([]);
    // The default single pass refuses it too, at the tampered chunk.
    await expectKind(decryptAttachmentFile(path, out, opening), 'DecryptionFailed');
    expect(leftovers('tampered-digest.enc')).toEqual([]);
    rmSync(path);
  });

  it('rejects an intact file whose digest is not the one the sender stated, leaving nothing', async () => {
    const wrongDigest = Buffer.from(secrets.digest);
    wrongDigest[31]! ^= 0x01;
    const out = join(dir, 'digest.out');
    const error = await expectKind(
      decryptAttachmentFile(cipherPath, out, { key: secrets.key, digest: wrongDigest }),
      'DecryptionFailed',
    );
    expect(error.message).toMatch(/digest mismatch/);
    expect(leftovers()).toEqual([]);
  });

  it('rejects a tampered byte even when the digest is forged to match (chunk authentication)', async () => {
    const cipher = readFileSync(cipherPath);
    cipher[HEADER_BYTES + 100 * SEALED + 5]! ^= 0x80;
    const { path, opening } = forged('tampered-aead.enc', cipher);
    const out = join(dir, 'tampered-aead.out');
    const error = await expectKind(decryptAttachmentFile(path, out, opening), 'DecryptionFailed');
    expect(error.message).toMatch(/authentication/);
    // Chunks before the tampered one were written to the temporary file: it must be gone.
    expect(leftovers('tampered-aead.enc')).toEqual([]);
    rmSync(path);
  });

  it('rejects a tampered authentication tag and a tampered header', async () => {
    for (const [name, offset] of [
      ['tag', HEADER_BYTES + SEALED - 1],
      ['salt', 10],
      ['version', 4],
    ] as const) {
      const cipher = readFileSync(cipherPath);
      cipher[offset]! ^= 0x01;
      const { path, opening } = forged(`tampered-${name}.enc`, cipher);
      await expectKind(
        decryptAttachmentFile(path, join(dir, `tampered-${name}.out`), opening),
        'DecryptionFailed',
      );
      expect(leftovers(`tampered-${name}.enc`)).toEqual([]);
      rmSync(path);
    }
  });

  it('rejects a file truncated at a chunk boundary (the cut-off end cannot pass as final)', async () => {
    const cipher = readFileSync(cipherPath);
    const { path, opening } = forged('cut-boundary.enc', cipher.subarray(0, HEADER_BYTES + 40 * SEALED));
    await expectKind(decryptAttachmentFile(path, join(dir, 'cut-boundary.out'), opening), 'DecryptionFailed');
    expect(leftovers('cut-boundary.enc')).toEqual([]);
    rmSync(path);
  });

  it('rejects a file truncated mid-chunk, mid-tag, or inside the header', async () => {
    const cipher = readFileSync(cipherPath);
    for (const length of [HEADER_BYTES + 40 * SEALED + 1_000, cipher.length - 1, HEADER_BYTES + 8, 20, 0]) {
      const { path, opening } = forged('cut.enc', cipher.subarray(0, length));
      await expectKind(decryptAttachmentFile(path, join(dir, 'cut.out'), opening), 'DecryptionFailed');
      expect(leftovers('cut.enc'), `length ${length}`).toEqual([]);
      rmSync(path);
    }
  });

  it('rejects reordered and duplicated chunks', async () => {
    const cipher = readFileSync(cipherPath);
    const chunk = (i: number) => cipher.subarray(HEADER_BYTES + i * SEALED, HEADER_BYTES + (i + 1) * SEALED);
    const header = cipher.subarray(0, HEADER_BYTES);
    const rest = cipher.subarray(HEADER_BYTES + 3 * SEALED);
    for (const [name, middle] of [
      ['swapped', [chunk(0), chunk(2), chunk(1)]],
      ['duplicated', [chunk(0), chunk(0), chunk(1), chunk(2)]],
    ] as const) {
      const { path, opening } = forged(`${name}.enc`, Buffer.concat([header, ...middle, rest]));
      await expectKind(decryptAttachmentFile(path, join(dir, `${name}.out`), opening), 'DecryptionFailed');
      expect(leftovers(`${name}.enc`)).toEqual([]);
      rmSync(path);
    }
  });

  it('rejects the wrong key, with the right digest, and writes nothing', async () => {
    const out = join(dir, 'wrong-key.out');
    const error = await expectKind(
      decryptAttachmentFile(cipherPath, out, { key: randomBytes(32), digest: secrets.digest }),
      'DecryptionFailed',
    );
    expect(error.message).toMatch(/wrong key/);
    expect(leftovers()).toEqual([]);
  });

  it('rejects a plaintext size that differs from the one the sender stated', async () => {
    const out = join(dir, 'size.out');
    await expectKind(
      decryptAttachmentFile(cipherPath, out, {
        key: secrets.key,
        digest: secrets.digest,
        size: secrets.size + 1,
      }),
      'DecryptionFailed',
    );
    expect(leftovers()).toEqual([]);
  });

  it('stream decryption never ends successfully on a bad digest, and withholds the last chunk', async () => {
    const input = randomBytes(3 * CHUNK_BYTES + 99);
    const enc = collect();
    const s = await encryptAttachment(Readable.from([input]), enc.sink);
    const dec = collect();
    const badDigest = Buffer.from(s.digest);
    badDigest[0]! ^= 1;
    await expectKind(
      decryptAttachment(Readable.from([enc.bytes()]), dec.sink, { key: s.key, digest: badDigest }),
      'DecryptionFailed',
    );
    // Whatever was released is authentic plaintext, and the final chunk was not released.
    const released = dec.bytes();
    expect(released.length).toBeLessThan(input.length);
    expect(released.equals(input.subarray(0, released.length))).toBe(true);
  });

  it('refuses keys and digests of the wrong length', () => {
    expect(() => createDecryptStream({ key: randomBytes(16), digest: randomBytes(32) })).toThrow(
      /key must be 32/,
    );
    expect(() => createDecryptStream({ key: randomBytes(32), digest: randomBytes(31) })).toThrow(
      /digest must be 32/,
    );
  });

  it('does not overwrite an existing plaintext file when decryption fails', async () => {
    const out = join(dir, 'existing.out');
    writeFileSync(out, 'keep me');
    await expectKind(
      decryptAttachmentFile(cipherPath, out, { key: randomBytes(32), digest: secrets.digest }),
      'DecryptionFailed',
    );
    expect(readFileSync(out, 'utf8')).toBe('keep me');
    rmSync(out);
  });
});
