// age's STREAM payload: ChaCha20-Poly1305 over 64 KiB chunks, nonce = 11-byte counter + last flag.
// Plaintext is released only once authenticated; runs of 16 chunks go to worker threads (see
// chunkWorkers.ts) with a bounded number in flight, so memory stays at a few MiB.
import { ByteReader } from './byteReader';
import {
  ChunkRunner,
  chunkSize,
  encryptedChunkSize,
  openChunk,
  parallelAfterChunks,
  runBytes,
  runChunks,
  sealChunk,
  tagSize,
  type RunResult,
} from './chunkWorkers';
import { AgeError } from './errors';
import { FileChunks } from './fileChunks';
import type { FileHandle } from 'node:fs/promises';

export { chunkSize } from './chunkWorkers';

/** Output is handed on in batches of about this size: one write per MiB, not two per chunk. */
const batchBytes = 1 << 20;

class Batch {
  private parts: Buffer[] = [];
  private size = 0;
  add(part: Buffer): boolean {
    this.parts.push(part);
    this.size += part.length;
    return this.size >= batchBytes;
  }
  take(): Buffer | null {
    if (this.parts.length === 0) return null;
    const out = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.size);
    this.parts = [];
    this.size = 0;
    return out;
  }
}

/**
 * Seals `source` into STREAM chunks. With `recycler`, a caller that is done with a yielded buffer
 * (written it out) may give its memory back through `recycler.giveBack`, for a worker to fill again.
 */
export async function* encryptStream(
  key: Buffer,
  source: AsyncIterable<Uint8Array>,
  recycler: { giveBack: ((memory: ArrayBufferLike) => void) | null } = { giveBack: null },
): AsyncGenerator<Buffer> {
  const runner = new ChunkRunner(key);
  recycler.giveBack = (memory) => runner.giveBackSealed(memory);
  const inFlight: Promise<RunResult>[] = [];
  // Chunks are filled in place in a 16-chunk run; a full chunk followed by more input is not the
  // last one, so it joins the run, and a full run is sealed as a whole.
  let run = runner.buffer('seal');
  let runStart = 0;
  let full = 0; // whole chunks in `run` known not to be last
  let filled = 0; // bytes in the chunk after them
  try {
    for await (const input of source) {
      let offset = 0;
      while (offset < input.byteLength) {
        if (filled === chunkSize) {
          full++;
          filled = 0;
          if (full === runChunks) {
            inFlight.push(runner.run('seal', runStart, run, true));
            runStart += runChunks;
            run = runner.buffer('seal');
            full = 0;
            while (inFlight.length >= runner.maxInFlight) yield (await inFlight.shift()!).out;
          }
        }
        const count = Math.min(chunkSize - filled, input.byteLength - offset);
        run.set(input.subarray(offset, offset + count), full * chunkSize + filled);
        filled += count;
        offset += count;
      }
    }
    if (full > 0) inFlight.push(runner.run('seal', runStart, run.subarray(0, full * chunkSize)));
    while (inFlight.length > 0) yield (await inFlight.shift()!).out;
    const last = run.subarray(full * chunkSize, full * chunkSize + filled);
    yield Buffer.concat(sealChunk(key, runStart + full, true, last));
  } finally {
    recycler.giveBack = null;
    await Promise.allSettled(inFlight);
    await runner.close();
  }
}

export async function* decryptStream(key: Buffer, reader: ByteReader): AsyncGenerator<Buffer> {
  // Authenticated plaintext is batched; on a failure what was authenticated is released first
  // (as age does), then the error.
  const batch = new Batch();
  const runner = new ChunkRunner(key);
  try {
    yield* decryptChunks(key, reader, batch, runner);
  } finally {
    await runner.close();
    const rest = batch.take();
    if (rest !== null) yield rest;
  }
}

async function* decryptChunks(
  key: Buffer,
  reader: ByteReader,
  batch: Batch,
  runner: ChunkRunner,
): AsyncGenerator<Buffer> {
  const release = (plain: Buffer): Buffer | null => (batch.add(plain) ? batch.take() : null);
  const inFlight: { start: number; result: Promise<RunResult> }[] = [];
  let index = 0;

  /** Releases the oldest run; a chunk that failed gets age's full-final-chunk check, then the error. */
  async function* settle(): AsyncGenerator<Buffer> {
    const job = inFlight.shift()!;
    const { out, failedAt, input } = await job.result;
    if (failedAt < 0) {
      const ready = release(out);
      if (ready !== null) yield ready;
      return;
    }
    batch.add(out);
    const sealed = input!.subarray(failedAt * encryptedChunkSize, (failedAt + 1) * encryptedChunkSize);
    const final = openChunk(key, job.start + failedAt, true, sealed);
    if (final === null) throw new AgeError('Payload', 'a payload chunk fails authentication');
    batch.add(final);
    throw new AgeError('Payload', 'data follows the final chunk');
  }

  try {
    for (;;) {
      // A whole run with at least one byte after it holds no final chunk: it can go in parallel.
      const available = await reader.fill(runChunks * encryptedChunkSize + 1);
      if (available > runChunks * encryptedChunkSize) {
        // Copied once, into a buffer whose memory then moves to a worker and back.
        const sealed = runner.buffer('open');
        reader.takeInto(sealed);
        inFlight.push({ start: index, result: runner.run('open', index, sealed, true) });
        index += runChunks;
        while (inFlight.length >= runner.maxInFlight) yield* settle();
        continue;
      }
      while (inFlight.length > 0) yield* settle();
      yield* decryptTail(key, reader, index, release, batch);
      return;
    }
  } finally {
    await Promise.allSettled(inFlight.map((j) => j.result));
  }
}

/**
 * `decryptStream` for a payload in an open file, from `payloadStart` (where `reader` stands).
 * Every whole run but the last is read and opened by the workers themselves (see
 * ChunkRunner.openFile), so this thread neither reads nor copies the ciphertext; the last run
 * and the final-chunk rules go through `decryptTail` as in `decryptStream`. A short file (or one
 * under 4 MiB) stays on `reader`. `reach` is told each file offset reading has got to.
 */
export async function* decryptFileStream(
  key: Buffer,
  file: { handle: FileHandle; size: number; payloadStart: number; reader: ByteReader },
  reach: (fileOffset: number) => void,
  recycler: { giveBack: ((memory: ArrayBufferLike) => void) | null } = { giveBack: null },
): AsyncGenerator<Buffer> {
  // Whole runs with at least one byte after them: none of them holds the final chunk.
  const runs = Math.max(0, Math.floor((file.size - file.payloadStart - 1) / runBytes));
  if (runs * runChunks < parallelAfterChunks) {
    yield* decryptStream(key, file.reader);
    return;
  }
  const batch = new Batch();
  const runner = new ChunkRunner(key);
  const release = (plain: Buffer): Buffer | null => (batch.add(plain) ? batch.take() : null);
  recycler.giveBack = (memory) => runner.giveBack(memory);
  try {
    let index = 0;
    let run = 0;
    for await (const { out, failedAt, input, short } of runner.openFile(
      file.handle.fd,
      file.payloadStart,
      0,
      runs,
    )) {
      if (short) throw new AgeError('Truncated', 'the file ends before its final chunk');
      reach(file.payloadStart + ++run * runBytes);
      if (failedAt < 0) {
        const ready = release(out);
        if (ready !== null) yield ready;
        index += runChunks;
        continue;
      }
      batch.add(out);
      const sealed = input!.subarray(failedAt * encryptedChunkSize, (failedAt + 1) * encryptedChunkSize);
      const final = openChunk(key, index + failedAt, true, sealed);
      if (final === null) throw new AgeError('Payload', 'a payload chunk fails authentication');
      batch.add(final);
      throw new AgeError('Payload', 'data follows the final chunk');
    }
    const tailChunks: FileChunks = new FileChunks(file.handle, file.payloadStart + runs * runBytes, () =>
      reach(tailChunks.position),
    );
    const tail = new ByteReader(tailChunks);
    try {
      yield* decryptTail(key, tail, index, release, batch);
    } finally {
      await tail.close();
    }
  } finally {
    recycler.giveBack = null;
    await runner.close();
    const rest = batch.take();
    if (rest !== null) yield rest;
  }
}

/** The last (at most 16) chunks one by one, where the final-chunk rules apply. */
async function* decryptTail(
  key: Buffer,
  reader: ByteReader,
  first: number,
  release: (plain: Buffer) => Buffer | null,
  batch: Batch,
): AsyncGenerator<Buffer> {
  for (let index = first; ; index++) {
    // One byte of look-ahead tells a chunk with more to follow from the file's last chunk.
    const available = await reader.fill(encryptedChunkSize + 1);
    if (available === 0) {
      throw index === 0
        ? new AgeError('Truncated', 'the payload has no chunks')
        : new AgeError('Truncated', 'the file ends before its final chunk');
    }
    if (available > encryptedChunkSize) {
      const sealed = reader.take(encryptedChunkSize);
      const plain = openChunk(key, index, false, sealed);
      if (plain !== null) {
        const out = release(plain);
        if (out !== null) yield out;
        continue;
      }
      // As age does: a full final chunk is released, and then the data after it is refused.
      const final = openChunk(key, index, true, sealed);
      if (final === null) throw new AgeError('Payload', 'a payload chunk fails authentication');
      batch.add(final);
      throw new AgeError('Payload', 'data follows the final chunk');
    }
    const sealed = reader.take(available);
    if (sealed.length < tagSize) throw new AgeError('Truncated', 'the final chunk is shorter than its tag');
    if (sealed.length === tagSize && index !== 0) {
      throw new AgeError('Payload', 'the final chunk is empty');
    }
    if (sealed.length === encryptedChunkSize) {
      // A full chunk at the end is either a full final chunk or a file cut at a chunk boundary.
      const plain = openChunk(key, index, false, sealed);
      if (plain !== null) {
        batch.add(plain);
        throw new AgeError('Truncated', 'the file ends before its final chunk');
      }
    }
    const plain = openChunk(key, index, true, sealed);
    if (plain === null) throw new AgeError('Payload', 'the final payload chunk fails authentication');
    batch.add(plain);
    return;
  }
}
