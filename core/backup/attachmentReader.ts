// Reads and decrypts a profile's attachment files (AES-256-GCM at rest) on a worker thread for a
// backup export, a few MiB ahead of the age sealing, so the main thread only frames and writes.
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import { WispError } from '../../common/errors';
import { attachmentFileDamaged, encryptedFileLayout } from '../store/attachmentFiles';

/** Plaintext per message: one attachment chunk record. */
export const READ_CHUNK = 1 << 20;
/**
 * Bytes per decipher.update: each returns fresh memory, and a 1 MiB one is a fresh mapping whose
 * pages fault in, where 16 KiB reuses what the last freed (about half the CPU per GB, measured).
 */
const DECRYPT_PIECE = 16 * 1024;
/** Chunks the worker reads and decrypts ahead of what the main thread has taken. */
const WINDOW = 4;

// One file at a time, synchronously: pread into one reused buffer, decrypt, copy the plaintext
// into a buffer the main thread gave back (so the decipher's fresh output is this thread's
// garbage, not the main thread's), and wait (Atomics) while WINDOW chunks are untaken.
const workerSource = `
const { parentPort, receiveMessageOnPort } = require('node:worker_threads');
const { createDecipheriv } = require('node:crypto');
const { openSync, readSync, closeSync } = require('node:fs');
const CHUNK = ${READ_CHUNK}, PIECE = ${DECRYPT_PIECE};
const input = Buffer.allocUnsafeSlow(CHUNK);
function read(job) {
  const { id, path, start, end, key, nonce, tag, aad, window, spares } = job;
  const flags = new Int32Array(job.flags);
  const outBuffer = () => {
    for (let m; (m = receiveMessageOnPort(spares)) !== undefined; ) {
      if (m.message.byteLength === CHUNK) return Buffer.from(m.message);
    }
    return Buffer.allocUnsafeSlow(CHUNK);
  };
  let fd = -1;
  try {
    fd = openSync(path, 'r');
    const decipher = createDecipheriv('aes-256-gcm', Buffer.from(key), Buffer.from(nonce));
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(Buffer.from(tag));
    for (let position = start, sent = 0; position < end; sent++) {
      for (;;) {
        const taken = Atomics.load(flags, 0);
        if (Atomics.load(flags, 1) !== 0) return;
        if (sent - taken < window) break;
        Atomics.wait(flags, 0, taken);
      }
      const n = readSync(fd, input, 0, Math.min(CHUNK, end - position), position);
      if (n === 0) return parentPort.postMessage({ id, error: 'damaged' });
      position += n;
      const out = outBuffer();
      for (let at = 0; at < n; at += PIECE) decipher.update(input.subarray(at, Math.min(n, at + PIECE))).copy(out, at);
      parentPort.postMessage({ id, out: out.buffer, length: n }, [out.buffer]);
    }
    try { decipher.final(); } catch { return parentPort.postMessage({ id, error: 'damaged' }); }
    parentPort.postMessage({ id, done: true });
  } catch (error) {
    parentPort.postMessage({ id, error: 'io', code: error && error.code, message: String(error && error.message) });
  } finally {
    if (fd >= 0) closeSync(fd);
    spares.close();
  }
}
parentPort.on('message', read);
`;

interface ReaderMessage {
  id: number;
  out?: ArrayBuffer;
  length?: number;
  done?: boolean;
  error?: 'damaged' | 'io';
  code?: string;
  message?: string;
}

/**
 * One worker for a whole export, started at the first attachment; `close()` ends it. Files are
 * read one at a time, in the order `chunks` is called.
 */
export class AttachmentReader {
  #worker: Worker | null = null;
  #failure: Error | null = null;
  #nextId = 1;
  readonly #listeners = new Map<number, { push: (m: ReaderMessage) => void; fail: (e: Error) => void }>();

  /**
   * Yields an attachment's plaintext in chunks of up to 1 MiB. Each chunk is valid only until the
   * next is asked for (its memory then goes back to the worker to be filled again). The tag is
   * checked after the last chunk: the bytes are unverified until the generator returns, and a
   * damaged file throws DatabaseCorrupt (a missing one NotFound), as `readEncryptedFileChunks`.
   */
  async *chunks(dir: string, name: string, attachmentId: string, key: Buffer): AsyncGenerator<Buffer> {
    const layout = encryptedFileLayout(dir, name);
    const end = layout.size - 16;
    if (this.#failure !== null) throw this.#failure;
    const worker = (this.#worker ??= this.#start());
    const id = this.#nextId++;
    const flags = new Int32Array(new SharedArrayBuffer(8));
    const spares = new MessageChannel();
    const ready: ReaderMessage[] = [];
    let waiting: { resolve: (m: ReaderMessage) => void; reject: (e: Error) => void } | null = null;
    this.#listeners.set(id, {
      push: (m) => {
        if (waiting === null) return void ready.push(m);
        const w = waiting;
        waiting = null;
        w.resolve(m);
      },
      fail: (e) => {
        const w = waiting;
        waiting = null;
        w?.reject(e);
      },
    });
    worker.postMessage(
      {
        id,
        path: layout.path,
        start: layout.headerLength,
        end,
        key: new Uint8Array(key),
        nonce: new Uint8Array(layout.nonce),
        tag: new Uint8Array(layout.tag),
        aad: new Uint8Array(Buffer.from(attachmentId, 'utf8')),
        window: WINDOW,
        flags: flags.buffer,
        spares: spares.port2,
      },
      [spares.port2],
    );
    let lent: ArrayBuffer | null = null;
    try {
      for (;;) {
        // The consumer is done with the last chunk once it asks for the next one.
        if (lent !== null) giveBack(spares.port1, lent);
        lent = null;
        const message =
          ready.shift() ??
          (await new Promise<ReaderMessage>((resolve, reject) => {
            if (this.#failure !== null) return reject(this.#failure);
            waiting = { resolve, reject };
          }));
        if (message.error === 'damaged') throw attachmentFileDamaged();
        if (message.error === 'io') {
          throw new WispError('DatabaseCorrupt', 'an attachment file could not be read', {
            cause: Object.assign(new Error(message.message), { code: message.code }),
          });
        }
        if (message.done === true) return;
        Atomics.add(flags, 0, 1);
        Atomics.notify(flags, 0);
        lent = message.out!;
        yield Buffer.from(lent, 0, message.length);
      }
    } finally {
      // A reader stopped early (a cancelled export) ends its file at the next chunk.
      Atomics.store(flags, 1, 1);
      Atomics.notify(flags, 0);
      spares.port1.close();
      this.#listeners.delete(id);
    }
  }

  #start(): Worker {
    const worker = new Worker(workerSource, { eval: true });
    worker.on('message', (m: ReaderMessage) => this.#listeners.get(m.id)?.push(m));
    worker.on('error', (error) => this.#fail(error));
    worker.on('exit', (code) => this.#fail(new Error(`the attachment reader exited with ${code}`)));
    return worker;
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const listener of this.#listeners.values()) listener.fail(error);
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = null;
    this.#failure ??= new Error('the attachment reader is closed');
    if (worker === null) return;
    worker.removeAllListeners('exit');
    await worker.terminate();
  }
}

function giveBack(port: MessagePort, memory: ArrayBuffer): void {
  try {
    port.postMessage(memory, [memory]);
  } catch {
    // A closed port: the memory is simply not reused.
  }
}
