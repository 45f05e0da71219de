// Positional writes to an open file queued on the thread pool, a few MiB in flight, with the
// kernel's writeback started as the file grows: a large file (a backup, a restored attachment) is
// written while this thread goes on encrypting, and its final fsync waits for the last few MiB only.
import { fdatasync, write } from 'node:fs';

/** Bytes in flight before `write` waits. */
const QUEUED_BYTES = 8 << 20;
/** Every this many bytes, an fdatasync in the background starts writing back what is dirty. */
const WRITEBACK_STEP = 32 << 20;

export class QueuedWriter {
  readonly #fd: number;
  #position: number;
  /** Writes on the thread pool; they never reject (a failure is kept in #failure). */
  readonly #queued: { done: Promise<void>; bytes: number }[] = [];
  #queuedBytes = 0;
  #writeback: Promise<void> | null = null;
  #nextWriteback: number;
  #failure: Error | null = null;

  /** Writes go to `fd` from `position` on; the descriptor stays the caller's. */
  constructor(fd: number, position = 0) {
    this.#fd = fd;
    this.#position = position;
    this.#nextWriteback = position + WRITEBACK_STEP;
  }

  /** The file offset after everything queued so far. */
  get position(): number {
    return this.#position;
  }

  /** True while writes (or a writeback) are on the thread pool: the fd must not be closed. */
  get busy(): boolean {
    return this.#queued.length > 0 || this.#writeback !== null;
  }

  /** Moves the position past bytes the caller wrote itself (synchronously, nothing queued). */
  advance(bytes: number): void {
    this.#position += bytes;
  }

  /**
   * Queues `bytes` (which must not change until written; `onWritten` is told when they may) and
   * resolves once no more than a few MiB are in flight. A failed write surfaces here or at `drain`.
   */
  async write(bytes: Uint8Array, onWritten?: () => void): Promise<void> {
    this.#check();
    this.#queue(bytes, onWritten);
    if (this.#position >= this.#nextWriteback && this.#writeback === null) {
      this.#nextWriteback = this.#position + WRITEBACK_STEP;
      this.#writeback = new Promise<void>((resolve) => fdatasync(this.#fd, () => resolve())).then(() => {
        this.#writeback = null;
      });
    }
    while (this.#queuedBytes > QUEUED_BYTES) await this.#settleOldest();
    this.#check();
  }

  /** Queues `bytes` without waiting (`drain` waits). */
  queue(bytes: Uint8Array): void {
    this.#queue(bytes);
  }

  /** Waits for every queued write and writeback; throws the first failure. */
  async drain(): Promise<void> {
    await this.settle();
    this.#check();
  }

  #check(): void {
    if (this.#failure !== null) throw this.#failure;
  }

  /** Waits for every queued write and writeback, whatever happened to them. */
  async settle(): Promise<void> {
    while (this.#queued.length > 0) await this.#settleOldest();
    await this.#writeback;
  }

  #queue(bytes: Uint8Array, onWritten?: () => void): void {
    if (bytes.byteLength === 0) return;
    const position = this.#position;
    this.#position += bytes.byteLength;
    const done = new Promise<void>((resolve) => {
      write(this.#fd, bytes, 0, bytes.byteLength, position, (error, written) => {
        if (error !== null) this.#failure ??= error;
        // pwrite to a regular file writes it all unless the disk is full: say so rather than retry.
        else if (written !== bytes.byteLength) {
          this.#failure ??= Object.assign(new Error('short write: the disk is full'), { code: 'ENOSPC' });
        }
        onWritten?.();
        resolve();
      });
    });
    this.#queued.push({ done, bytes: bytes.byteLength });
    this.#queuedBytes += bytes.byteLength;
  }

  async #settleOldest(): Promise<void> {
    const oldest = this.#queued.shift();
    if (oldest === undefined) return;
    await oldest.done;
    this.#queuedBytes -= oldest.bytes;
  }
}
