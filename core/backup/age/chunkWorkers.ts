// STREAM chunks are independent (each has its own nonce), so runs of full, non-final chunks are
// sealed or opened on worker threads while the main thread reads, frames and writes; for a file,
// the workers read the runs themselves (openFile). Node's ChaCha20-Poly1305 runs at about half
// the speed of Go's here; a second core closes that gap.
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';

export const chunkSize = 64 * 1024;
export const tagSize = 16;
export const encryptedChunkSize = chunkSize + tagSize;
/** Chunks per job: 1 MiB of plaintext. */
export const runChunks = 16;
/** Workers start only for streams longer than this many chunks (4 MiB): small files stay on one thread. */
export const parallelAfterChunks = 64;
/**
 * Workers beside the main thread, which keeps reading, framing and writing: one per spare core. Two
 * workers on 2 cores were tried (docs/BACKUP.md): no faster on a shared machine, and each worker's
 * own garbage took peak RSS from ~200 to ~245 MB, too near the 256 MB budget.
 */
const workerCount = (): number => Math.max(1, Math.min(3, availableParallelism() - 1));

/** The largest chunk index whose nonce we build (6 of the 11 counter bytes; 2^48 chunks = 16 EiB). */
const maxIndex = 2 ** 48 - 1;

export function nonceFor(index: number, last: boolean): Buffer {
  if (index > maxIndex) throw new RangeError('STREAM counter overflow');
  const nonce = Buffer.alloc(12);
  nonce.writeUIntBE(index, 5, 6);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

export function sealChunk(key: Buffer, index: number, last: boolean, plaintext: Buffer): [Buffer, Buffer] {
  const cipher = createCipheriv('chacha20-poly1305', key, nonceFor(index, last), { authTagLength: tagSize });
  const body = cipher.update(plaintext);
  cipher.final();
  return [body, cipher.getAuthTag()];
}

export function openChunk(key: Buffer, index: number, last: boolean, sealed: Buffer): Buffer | null {
  const decipher = createDecipheriv('chacha20-poly1305', key, nonceFor(index, last), {
    authTagLength: tagSize,
  });
  decipher.setAuthTag(sealed.subarray(sealed.length - tagSize));
  const plain = decipher.update(sealed.subarray(0, sealed.length - tagSize));
  try {
    decipher.final();
  } catch {
    return null;
  }
  return plain;
}

export interface RunResult {
  /** Sealed chunks, or the plaintext of the chunks that opened before the first failure. */
  out: Buffer;
  /** Index within the run of the first chunk that failed to open, or -1. */
  failedAt: number;
  /** The job's input, given back after a failure (for age's full-final-chunk check); else recycled. */
  input?: Buffer;
}

/** Seals `data` (whole chunks, none of them the last) starting at chunk `start`. */
export function sealRun(key: Buffer, start: number, data: Buffer): RunResult {
  const count = data.length / chunkSize;
  const out = Buffer.allocUnsafeSlow(count * encryptedChunkSize);
  for (let i = 0; i < count; i++) {
    const [body, tag] = sealChunk(key, start + i, false, data.subarray(i * chunkSize, (i + 1) * chunkSize));
    body.copy(out, i * encryptedChunkSize);
    tag.copy(out, i * encryptedChunkSize + chunkSize);
  }
  return { out, failedAt: -1 };
}

/** Opens `data` (whole sealed chunks, none the last) starting at chunk `start`, stopping at a failure. */
export function openRun(key: Buffer, start: number, data: Buffer): RunResult {
  const count = data.length / encryptedChunkSize;
  const out = Buffer.allocUnsafeSlow(count * chunkSize);
  for (let i = 0; i < count; i++) {
    const plain = openChunk(
      key,
      start + i,
      false,
      data.subarray(i * encryptedChunkSize, (i + 1) * encryptedChunkSize),
    );
    if (plain === null) return { out: out.subarray(0, i * chunkSize), failedAt: i };
    plain.copy(out, i * chunkSize);
  }
  return { out, failedAt: -1 };
}

// The same two loops for the workers, as a constant script (no file to locate in a bundle).
const workerSource = `
const { parentPort, receiveMessageOnPort, workerData } = require('node:worker_threads');
const key = Buffer.from(workerData.key);
const { createCipheriv, createDecipheriv } = require('node:crypto');
const { readSync } = require('node:fs');
const chunkSize = ${chunkSize}, tagSize = ${tagSize}, enc = chunkSize + tagSize;
const runChunks = ${runChunks}, runBytes = runChunks * enc;
function nonceFor(index) { const n = Buffer.alloc(12); n.writeUIntBE(index, 5, 6); return n; }
// Opens one run (whole sealed chunks) into out; returns the index of the first chunk that fails, or -1.
function openInto(input, count, start, out) {
  for (let i = 0; i < count; i++) {
    const sealed = input.subarray(i * enc, (i + 1) * enc);
    const d = createDecipheriv('chacha20-poly1305', key, nonceFor(start + i), { authTagLength: tagSize });
    d.setAuthTag(sealed.subarray(chunkSize));
    const plain = d.update(sealed.subarray(0, chunkSize));
    try { d.final(); } catch { return i; }
    plain.copy(out, i * chunkSize);
  }
  return -1;
}
// A file job: this worker reads and opens every stride-th run itself (fd is the process's), at most
// window runs ahead of what the main thread has taken (flags[0]); flags[1] set means stop.
function openFile({ id, fd, offset, start, first, stride, runs, window, flags: shared, spares }) {
  const flags = new Int32Array(shared);
  // Plaintext buffers the main thread is done with come back on this port, to be filled again.
  const outBuffer = () => {
    for (let m; (m = receiveMessageOnPort(spares)) !== undefined; ) {
      if (m.message.byteLength === runChunks * chunkSize) return Buffer.from(m.message);
    }
    return Buffer.allocUnsafeSlow(runChunks * chunkSize);
  };
  const input = Buffer.allocUnsafeSlow(runBytes);
  for (let k = 0, run = first; run < runs; k++, run += stride) {
    for (;;) {
      const taken = Atomics.load(flags, 0);
      if (Atomics.load(flags, 1) !== 0) return;
      if (k - taken < window) break;
      Atomics.wait(flags, 0, taken);
    }
    let got = 0;
    while (got < runBytes) {
      const n = readSync(fd, input, got, runBytes - got, offset + run * runBytes + got);
      if (n === 0) break;
      got += n;
    }
    if (got < runBytes) { parentPort.postMessage({ id, run, short: true }); return; }
    const out = outBuffer();
    const failedAt = openInto(input, runChunks, start + run * runChunks, out);
    const length = failedAt < 0 ? out.length : failedAt * chunkSize;
    // A failed run sends its sealed bytes too, for age's full-final-chunk check.
    const sealed = failedAt < 0 ? undefined : new Uint8Array(input).buffer;
    parentPort.postMessage({ id, run, out: out.buffer, length, failedAt, input: sealed }, [out.buffer]);
    if (failedAt >= 0) return;
  }
}
parentPort.on('message', (message) => {
  if (message.op === 'openFile') return openFile(message);
  const { id, op, start, data, spare } = message;
  const input = Buffer.from(data);
  let out, failedAt = -1;
  if (op === 'seal') {
    const count = input.length / chunkSize;
    // A sealed run the main thread has written comes back with the job, to be filled again.
    out = spare !== undefined && spare.byteLength === count * enc ? Buffer.from(spare) : Buffer.allocUnsafeSlow(count * enc);
    for (let i = 0; i < count; i++) {
      const c = createCipheriv('chacha20-poly1305', key, nonceFor(start + i), { authTagLength: tagSize });
      c.update(input.subarray(i * chunkSize, (i + 1) * chunkSize)).copy(out, i * enc);
      c.final();
      c.getAuthTag().copy(out, i * enc + chunkSize);
    }
  } else {
    const count = input.length / enc;
    out = Buffer.allocUnsafeSlow(count * chunkSize);
    failedAt = openInto(input, count, start, out);
  }
  // Both buffers move back without a copy: the output whole (its length says how much opened),
  // the input to be refilled by the next job.
  const length = failedAt < 0 ? out.length : failedAt * chunkSize;
  parentPort.postMessage({ id, out: out.buffer, length, failedAt, input: data }, [out.buffer, data]);
});
`;

interface Job {
  resolve: (result: RunResult) => void;
  reject: (error: Error) => void;
}

/** Sealed bytes per run of `runChunks` chunks. */
export const runBytes = runChunks * encryptedChunkSize;
/** Runs a worker reads and opens ahead of what the main thread has taken, in a file job. */
const fileWindow = 3;

/** A file job's result for one run; `short` when the file no longer holds the whole run. */
export interface FileRunResult extends RunResult {
  short: boolean;
}

interface FileRunMessage {
  id: number;
  run: number;
  short?: boolean;
  out?: ArrayBuffer;
  length?: number;
  failedAt?: number;
  input?: ArrayBuffer;
}

/**
 * Runs seal/open jobs in order of submission on the main thread until `parallelAfterChunks`, then
 * on a small pool of workers. The caller awaits results in submission order; at most `maxInFlight`.
 * Job inputs are lent: `buffer(op)` hands out a run-sized buffer the caller fills and passes to
 * `run`, which moves its memory to a worker and takes it back for the next job, so a run costs no
 * copy and no fresh allocation on the way in.
 */
export class ChunkRunner {
  readonly maxInFlight: number;
  private workers: Worker[] | null = null;
  private readonly jobs = new Map<number, Job>();
  private readonly fileJobs = new Map<number, (message: FileRunMessage) => void>();
  private readonly fileWaiters = new Set<(error: Error) => void>();
  /** Ports to the workers of the file job in progress, for plaintext buffers given back. */
  private spareLanes: MessagePort[] = [];
  private nextSpareLane = 0;
  /** Sealed runs given back once written (giveBackSealed), sent with the next seal job to fill. */
  private readonly spareSealed: ArrayBuffer[] = [];
  private readonly spare: ArrayBuffer[] = [];
  private nextJob = 1;
  private nextWorker = 0;
  private failed: Error | null = null;

  constructor(private readonly key: Buffer) {
    this.maxInFlight = workerCount() + 2;
  }

  /** A buffer of one run's input size for `op`, to be filled and given to `run` (owned: true). */
  buffer(op: 'seal' | 'open'): Buffer {
    const size = runChunks * (op === 'seal' ? chunkSize : encryptedChunkSize);
    const spare = this.spare.pop();
    return spare !== undefined && spare.byteLength === size
      ? Buffer.from(spare)
      : Buffer.allocUnsafeSlow(size);
  }

  /**
   * Seals or opens `data`. With `owned`, `data` came from `buffer()` (or is otherwise the caller's
   * alone) and its memory is moved, not copied: the caller must not touch it afterwards.
   */
  run(op: 'seal' | 'open', start: number, data: Buffer, owned = false): Promise<RunResult> {
    if (start < parallelAfterChunks || availableParallelism() < 2) {
      const result = op === 'seal' ? sealRun(this.key, start, data) : openRun(this.key, start, data);
      if (owned && result.failedAt < 0) this.recycle(data);
      return Promise.resolve({ ...result, input: data });
    }
    if (this.failed) return Promise.reject(this.failed);
    const workers = (this.workers ??= this.startWorkers());
    const id = this.nextJob++;
    let moved: ArrayBuffer;
    if (owned && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) {
      moved = data.buffer as ArrayBuffer;
    } else {
      // A private copy whose memory moves to the worker (the input may share a pooled buffer).
      const copy = new Uint8Array(data.length);
      copy.set(data);
      moved = copy.buffer;
    }
    const worker = workers[this.nextWorker++ % workers.length]!;
    return new Promise<RunResult>((resolve, reject) => {
      this.jobs.set(id, { resolve, reject });
      const spare = op === 'seal' ? this.spareSealed.pop() : undefined;
      worker.postMessage(
        { id, op, start, data: moved, spare },
        spare === undefined ? [moved] : [moved, spare],
      );
    });
  }

  /**
   * Gives a file job's plaintext buffer back once nothing uses it any more: a worker fills it
   * again instead of allocating (a fresh MiB per run is garbage this thread's GC pays for).
   */
  giveBack(memory: ArrayBufferLike): void {
    if (this.spareLanes.length === 0 || memory.byteLength !== runChunks * chunkSize) return;
    if (memory instanceof SharedArrayBuffer) return;
    const port = this.spareLanes[this.nextSpareLane++ % this.spareLanes.length]!;
    try {
      port.postMessage(memory, [memory]);
    } catch {
      // Memory that cannot move (a pooled or untransferable buffer) is simply not reused.
    }
  }

  /** Takes back a sealed run's memory once it has been written, for a worker to fill again. */
  giveBackSealed(memory: ArrayBufferLike): void {
    if (memory instanceof SharedArrayBuffer || memory.byteLength !== runBytes) return;
    if (this.spareSealed.length < this.maxInFlight + 2) this.spareSealed.push(memory);
  }

  /** Keeps a finished job's input for the next `buffer()` (a failed one stays with its result). */
  private recycle(input: Buffer): void {
    if (input.byteOffset === 0 && input.byteLength === input.buffer.byteLength) {
      if (this.spare.length < this.maxInFlight) this.spare.push(input.buffer as ArrayBuffer);
    }
  }

  private startWorkers(): Worker[] {
    return Array.from({ length: workerCount() }, () => {
      // The key goes once, at start: a Buffer in a message is cloned with its whole backing store.
      const worker = new Worker(workerSource, { eval: true, workerData: { key: new Uint8Array(this.key) } });
      worker.on(
        'message',
        (msg: { id: number; out: ArrayBuffer; length: number; failedAt: number; input: ArrayBuffer }) => {
          if ('run' in msg) {
            // A file job's run; one that arrives after its reader stopped is dropped.
            this.fileJobs.get(msg.id)?.(msg as FileRunMessage);
            return;
          }
          const job = this.jobs.get(msg.id);
          this.jobs.delete(msg.id);
          const input = Buffer.from(msg.input);
          if (msg.failedAt < 0) this.recycle(input);
          job?.resolve({ out: Buffer.from(msg.out, 0, msg.length), failedAt: msg.failedAt, input });
        },
      );
      worker.on('error', (error) => this.fail(error));
      worker.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`a STREAM worker exited with ${code}`));
      });
      return worker;
    });
  }

  private fail(error: Error): void {
    this.failed ??= error;
    for (const job of this.jobs.values()) job.reject(error);
    this.jobs.clear();
    for (const waiter of this.fileWaiters) waiter(error);
    this.fileWaiters.clear();
  }

  /**
   * Opens `runs` whole runs of an open file, none holding the final chunk, on the workers, which
   * read the file themselves (`fd` is this process's): run r lies at `offset + r * runBytes` and
   * starts at chunk `start + r * runChunks`. Nothing of it passes through this thread but the
   * plaintext. Yields the runs in order and stops after a failed or short one; each worker keeps
   * at most `fileWindow` runs ahead of what has been taken from here.
   */
  async *openFile(fd: number, offset: number, start: number, runs: number): AsyncGenerator<FileRunResult> {
    if (start + runs * runChunks > maxIndex) throw new RangeError('STREAM counter overflow');
    if (this.failed) throw this.failed;
    const workers = (this.workers ??= this.startWorkers());
    const stride = workers.length;
    const id = this.nextJob++;
    const lanes = workers.map(() => ({
      ready: [] as FileRunMessage[],
      waiting: null as ((message: FileRunMessage) => void) | null,
      flags: new Int32Array(new SharedArrayBuffer(8)),
      spares: new MessageChannel(),
    }));
    this.spareLanes = lanes.map((lane) => lane.spares.port1);
    this.fileJobs.set(id, (message) => {
      const lane = lanes[message.run % stride]!;
      const waiting = lane.waiting;
      lane.waiting = null;
      if (waiting !== null) waiting(message);
      else lane.ready.push(message);
    });
    workers.forEach((worker, first) =>
      worker.postMessage(
        {
          op: 'openFile',
          id,
          fd,
          offset,
          start,
          first,
          stride,
          runs,
          window: fileWindow,
          flags: lanes[first]!.flags.buffer,
          spares: lanes[first]!.spares.port2,
        },
        [lanes[first]!.spares.port2],
      ),
    );
    try {
      for (let run = 0; run < runs; run++) {
        const lane = lanes[run % stride]!;
        const message =
          lane.ready.shift() ??
          (await new Promise<FileRunMessage>((resolve, reject) => {
            if (this.failed) return reject(this.failed);
            lane.waiting = (m) => {
              this.fileWaiters.delete(reject);
              resolve(m);
            };
            this.fileWaiters.add(reject);
          }));
        Atomics.add(lane.flags, 0, 1);
        Atomics.notify(lane.flags, 0);
        if (message.short === true) {
          yield { out: Buffer.alloc(0), failedAt: -1, short: true };
          return;
        }
        const failedAt = message.failedAt!;
        yield {
          out: Buffer.from(message.out!, 0, message.length),
          failedAt,
          short: false,
          ...(message.input === undefined ? {} : { input: Buffer.from(message.input) }),
        };
        if (failedAt >= 0) return;
      }
    } finally {
      // Workers still reading ahead stop at their next run (close() then ends them).
      for (const lane of lanes) {
        Atomics.store(lane.flags, 1, 1);
        Atomics.notify(lane.flags, 0);
        lane.spares.port1.close();
      }
      this.spareLanes = [];
      this.fileJobs.delete(id);
    }
  }

  async close(): Promise<void> {
    const workers = this.workers ?? [];
    this.workers = null;
    for (const worker of workers) worker.removeAllListeners('exit');
    await Promise.all(workers.map((w) => w.terminate()));
    this.fileJobs.clear();
  }
}
