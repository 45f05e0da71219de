// decryptFile: past the header the STREAM workers read the payload runs from the file themselves.
// Same plaintext, same failures and the same released-before-failure bytes as `decrypt`, for files
// our encrypt and the age CLI wrote, with damage inside the runs the workers read.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, closeSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  chunkSize,
  decrypt,
  decryptFile,
  encodeIdentity,
  encodeRecipient,
  encrypt,
  generateX25519SecretKey,
  isAgeError,
  x25519PublicKey,
} from '../../../core/backup/age';
import type { Identity, Recipient } from '../../../core/backup/age';
import { ChunkRunner, encryptedChunkSize, runChunks, sealChunk } from '../../../core/backup/age/chunkWorkers';
import { encodeHeader, hkdf } from '../../../core/backup/age/header';
import { wrap } from '../../../core/backup/age/recipients';
import { encryptStream } from '../../../core/backup/age/stream';
import { runAge } from '../../helpers/backup/ageCli';

const dir = mkdtempSync(join(tmpdir(), 'wisp-age-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const secret = generateX25519SecretKey();
const recipients: Recipient[] = [{ kind: 'x25519', publicKey: x25519PublicKey(secret) }];
const identities: Identity[] = [{ kind: 'x25519', secretKey: secret }];

async function collect(source: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of source) parts.push(part);
  return Buffer.concat(parts);
}

async function* once(bytes: Buffer): AsyncGenerator<Buffer> {
  yield bytes;
}

let files = 0;
function onDisk(bytes: Buffer): string {
  const path = join(dir, `f${files++}.age`);
  writeFileSync(path, bytes);
  return path;
}

/** What decryptFile released before it threw (or all of it), and the error. */
async function openFile(
  path: string,
  onRead?: (n: number) => void,
): Promise<{ out: Buffer; error: unknown }> {
  const parts: Buffer[] = [];
  const error = await (async () => {
    for await (const part of decryptFile(path, identities, onRead)) parts.push(part);
  })().then(
    () => null,
    (e: unknown) => e,
  );
  return { out: Buffer.concat(parts), error };
}

const payloadOffset = (file: Buffer): number => file.indexOf('\n', file.indexOf('\n---') + 1) + 1 + 16;

describe('decryptFile (workers read the payload from the file)', () => {
  const size = 20 * runChunks * chunkSize + 12345; // 20 runs and a short final chunk
  const plain = randomBytes(size);
  let file: Buffer;

  it('opens a 20 MiB file ours or the age CLI wrote, counting every byte of the file once', async () => {
    file = await collect(encrypt(once(plain), recipients));
    let counted = 0;
    const ours = await openFile(onDisk(file), (n) => (counted += n));
    expect(ours.error).toBeNull();
    expect(ours.out.equals(plain)).toBe(true);
    expect(counted).toBe(file.length);

    writeFileSync(join(dir, 'plain'), plain);
    const cliFile = join(dir, 'cli.age');
    const made = await runAge([
      '-r',
      encodeRecipient(x25519PublicKey(secret)),
      '-o',
      cliFile,
      join(dir, 'plain'),
    ]);
    expect(made.code).toBe(0);
    const theirs = await openFile(cliFile);
    expect(theirs.error).toBeNull();
    expect(theirs.out.equals(plain)).toBe(true);
    writeFileSync(join(dir, 'key.txt'), `${encodeIdentity(secret)}\n`);
  });

  it('gives what decrypt gives at and around the size where the workers take over', async () => {
    // 64 chunks of whole runs (4 runs) is where the workers start; one byte less or more either side.
    for (const chunks of [4 * runChunks, 4 * runChunks + 1, 5 * runChunks]) {
      for (const extra of [-1, 0, 1]) {
        const bytes = randomBytes(chunks * chunkSize + extra);
        const sealed = await collect(encrypt(once(bytes), recipients));
        const opened = await openFile(onDisk(sealed));
        expect(opened.error).toBeNull();
        expect(opened.out.equals(bytes)).toBe(true);
        expect((await collect(decrypt(once(sealed), identities))).equals(bytes)).toBe(true);
      }
    }
  });

  it('releases exactly the chunks before a flipped bit inside a worker run, then refuses it (Payload)', async () => {
    const badChunk = 9 * runChunks + 3;
    const flipped = Buffer.from(file);
    flipped[payloadOffset(file) + badChunk * encryptedChunkSize + 7]! ^= 1;
    const { out, error } = await openFile(onDisk(flipped));
    expect(isAgeError(error, 'Payload')).toBe(true);
    expect(out.equals(plain.subarray(0, badChunk * chunkSize))).toBe(true);
  });

  it('refuses a file cut at a chunk boundary (Truncated) and inside a chunk (Payload)', async () => {
    const start = payloadOffset(file);
    const atBoundary = await openFile(onDisk(file.subarray(0, start + 150 * encryptedChunkSize)));
    expect(isAgeError(atBoundary.error, 'Truncated')).toBe(true);
    expect(atBoundary.out.equals(plain.subarray(0, 150 * chunkSize))).toBe(true);
    const inside = await openFile(onDisk(file.subarray(0, start + 150 * encryptedChunkSize + 999)));
    expect(isAgeError(inside.error, 'Payload')).toBe(true);
  });

  it('releases a full final chunk met inside a worker run, then refuses the data after it (Payload)', async () => {
    // Built by hand so the payload key is known: chunk 100 (a worker's) is sealed as the last one.
    const fileKey = randomBytes(16);
    const nonce = randomBytes(16);
    const key = hkdf(fileKey, nonce, 'payload');
    const body = await collect(encryptStream(key, once(plain)));
    const finalAt = 100;
    const chunk = plain.subarray(finalAt * chunkSize, (finalAt + 1) * chunkSize);
    Buffer.concat(sealChunk(key, finalAt, true, chunk)).copy(body, finalAt * encryptedChunkSize);
    const crafted = Buffer.concat([
      encodeHeader(fileKey, [await wrap(fileKey, recipients[0]!)]),
      nonce,
      body,
    ]);
    const { out, error } = await openFile(onDisk(crafted));
    expect(isAgeError(error, 'Payload')).toBe(true);
    expect(out.equals(plain.subarray(0, (finalAt + 1) * chunkSize))).toBe(true);
  });

  it('a run the file no longer holds whole comes back short (a file cut while it is read)', async () => {
    const path = onDisk(file);
    const fd = openSync(path, 'r');
    const runner = new ChunkRunner(hkdf(randomBytes(16), randomBytes(16), 'payload'));
    try {
      // Asked for a run that starts 10 bytes before the end of the file.
      const results: boolean[] = [];
      for await (const r of runner.openFile(fd, file.length - 10, 0, 1)) results.push(r.short);
      expect(results).toEqual([true]);
    } finally {
      await runner.close();
      closeSync(fd);
    }
  });
});
