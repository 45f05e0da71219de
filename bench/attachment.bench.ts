// Attachment crypto throughput: encrypt + decrypt of a 64 MB file through attachmentCrypto (files
// on disk, streamed), next to a bare createCipheriv/createDecipheriv AES-256-GCM pass over the same
// file with the same I/O, in the same run. Also reports peak RSS growth (no whole-file buffering).
// Run: npx tsx bench/attachment.bench.ts
// Target ≥ 0.35× the bare pass: the format must also SHA-256 the ciphertext (the digest that travels
// in the message), and on these CPUs SHA-256 runs at about GCM's speed, so ~0.5× is the floor's
// ceiling; a second line compares against bare GCM + SHA-256, the fair like-for-like floor.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  mkdtempSync,
  openSync,
  rmSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { decryptAttachmentFile, encryptAttachmentFile } from '../core/engine/attachmentCrypto';
import { resultLine } from './lib';

const FILE_MB = 64;
const FILE_BYTES = FILE_MB * 1024 * 1024;
const ROUNDS = 3;
const TARGET_RATIO = 0.35;

const round = (n: number): number => Math.round(n * 100) / 100;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const line = resultLine('attachment');

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

/** Bare AES-256-GCM over the whole file as one stream: no chunk framing, no digest, no checks beyond the tag. */
async function bareRoundTrip(plainPath: string, cipherPath: string, outPath: string): Promise<number> {
  const key = randomBytes(32);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  return timed(async () => {
    await pipeline(createReadStream(plainPath), cipher, createWriteStream(cipherPath));
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAuthTag(cipher.getAuthTag());
    await pipeline(createReadStream(cipherPath), decipher, createWriteStream(outPath));
  });
}

/** The same bare pass plus a SHA-256 of the ciphertext on each side, as the digest requires. */
async function bareHashedRoundTrip(plainPath: string, cipherPath: string, outPath: string): Promise<number> {
  const key = randomBytes(32);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  return timed(async () => {
    const sent = createHash('sha256');
    const hashing = new Transform({
      transform(chunk: Buffer, _e, done) {
        sent.update(chunk);
        done(null, chunk);
      },
    });
    await pipeline(createReadStream(plainPath), cipher, hashing, createWriteStream(cipherPath));
    sent.digest();
    const received = createHash('sha256');
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAuthTag(cipher.getAuthTag());
    const checking = new Transform({
      transform(chunk: Buffer, _e, done) {
        received.update(chunk);
        done(null, chunk);
      },
    });
    await pipeline(createReadStream(cipherPath), checking, decipher, createWriteStream(outPath));
    received.digest();
  });
}

async function wispRoundTrip(
  plainPath: string,
  cipherPath: string,
  outPath: string,
): Promise<{ encrypt: number; decrypt: number }> {
  rmSync(outPath, { force: true });
  let secrets!: Awaited<ReturnType<typeof encryptAttachmentFile>>;
  const encrypt = await timed(async () => {
    secrets = await encryptAttachmentFile(plainPath, cipherPath);
  });
  const decrypt = await timed(() =>
    decryptAttachmentFile(cipherPath, outPath, {
      key: secrets.key,
      digest: secrets.digest,
      size: secrets.size,
    }),
  );
  return { encrypt, decrypt };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'wisp-bench-attach-'));
  const plainPath = join(dir, 'plain.bin');
  const cipherPath = join(dir, 'cipher.bin');
  const outPath = join(dir, 'out.bin');
  try {
    const fd = openSync(plainPath, 'w');
    for (let written = 0; written < FILE_BYTES; written += 1024 * 1024)
      writeSync(fd, randomBytes(1024 * 1024));
    closeSync(fd);

    let peakRss = 0;
    const rssBefore = process.memoryUsage().rss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 5);

    const bare: number[] = [];
    const bareHashed: number[] = [];
    const enc: number[] = [];
    const dec: number[] = [];
    const both: number[] = [];
    // Interleaved so a burst of load from elsewhere on the machine hits both sides alike.
    for (let i = 0; i < ROUNDS; i++) {
      bare.push(await bareRoundTrip(plainPath, cipherPath, outPath));
      bareHashed.push(await bareHashedRoundTrip(plainPath, cipherPath, outPath));
      const w = await wispRoundTrip(plainPath, cipherPath, outPath);
      enc.push(w.encrypt);
      dec.push(w.decrypt);
      both.push(w.encrypt + w.decrypt);
    }
    clearInterval(sampler);

    const bareMBs = FILE_MB / median(bare);
    const bareOneWayMBs = (2 * FILE_MB) / median(bare);
    const bothMBs = FILE_MB / median(both);
    line({
      metric: `encrypt+decrypt ${FILE_MB} MB file (files on disk)`,
      value: round(bothMBs),
      unit: 'MB/s',
      baseline: round(bareMBs),
      ratio: round(bothMBs / bareMBs),
      target: `>= ${TARGET_RATIO}x bare createCipheriv+createDecipheriv pass`,
      pass: bothMBs / bareMBs >= TARGET_RATIO,
    });
    const bareHashedMBs = FILE_MB / median(bareHashed);
    line({
      metric: `encrypt+decrypt ${FILE_MB} MB vs bare GCM + SHA-256 of the ciphertext`,
      value: round(bothMBs),
      unit: 'MB/s',
      baseline: round(bareHashedMBs),
      ratio: round(bothMBs / bareHashedMBs),
      target: 'informational (like-for-like floor: same cipher, same digest, no chunk framing)',
      pass: true,
    });
    for (const [name, times] of [
      ['encrypt', enc],
      ['decrypt', dec],
    ] as const) {
      const mbs = FILE_MB / median(times);
      line({
        metric: `${name} ${FILE_MB} MB`,
        value: round(mbs),
        unit: 'MB/s',
        baseline: round(bareOneWayMBs),
        ratio: round(mbs / bareOneWayMBs),
        target: 'informational (baseline: one bare GCM pass)',
        pass: true,
      });
    }
    const growthMB = (peakRss - rssBefore) / (1024 * 1024);
    line({
      metric: 'peak RSS growth during the runs',
      value: round(Math.max(0, growthMB)),
      unit: 'MB',
      baseline: FILE_MB,
      ratio: round(Math.max(0, growthMB) / FILE_MB),
      target: `< ${FILE_MB / 2} MB (streamed, not buffered)`,
      pass: growthMB < FILE_MB / 2,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
