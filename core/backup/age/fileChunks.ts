// Reads an open file from a position in 1 MiB chunks into a few reused buffers (a RecyclingSource
// for ByteReader), so reading 1 GB does not allocate 1 GB of buffers for the main thread's GC.
import type { FileHandle } from 'node:fs/promises';
import type { RecyclingSource } from './byteReader';

const CHUNK_BYTES = 1 << 20;
/** Buffers kept for reuse; a ByteReader holds at most two chunks (one run's look-ahead) at a time. */
const SPARE_BUFFERS = 4;

export class FileChunks implements RecyclingSource {
  readonly #spare: ArrayBuffer[] = [];
  #position: number;

  /** The handle stays the caller's (it is not closed here). */
  constructor(
    private readonly handle: FileHandle,
    position: number,
    private readonly onRead?: (bytes: number) => void,
  ) {
    this.#position = position;
  }

  /** The file offset of the next read: everything before it has been handed out. */
  get position(): number {
    return this.#position;
  }

  release(memory: ArrayBufferLike): void {
    if (this.#spare.length < SPARE_BUFFERS && memory.byteLength === CHUNK_BYTES) {
      this.#spare.push(memory as ArrayBuffer);
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    for (;;) {
      const buffer = Buffer.from(this.#spare.pop() ?? new ArrayBuffer(CHUNK_BYTES));
      const { bytesRead } = await this.handle.read(buffer, 0, CHUNK_BYTES, this.#position);
      if (bytesRead === 0) return;
      this.#position += bytesRead;
      this.onRead?.(bytesRead);
      yield buffer.subarray(0, bytesRead);
    }
  }
}
