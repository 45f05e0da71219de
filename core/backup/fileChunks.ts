// Reads a file in 1 MiB chunks into a few reused buffers (a RecyclingSource for the age layer's
// ByteReader), so importing 1 GB does not allocate 1 GB of read buffers for the GC to collect.
import { open } from 'node:fs/promises';
import type { RecyclingSource } from './age/byteReader';

const CHUNK_BYTES = 1 << 20;
/** Buffers kept for reuse; the reader holds at most two chunks (one run's look-ahead) at a time. */
const SPARE_BUFFERS = 4;

export class FileChunks implements RecyclingSource {
  readonly #path: string;
  readonly #onRead: ((bytes: number) => void) | undefined;
  readonly #spare: ArrayBuffer[] = [];

  constructor(path: string, onRead?: (bytes: number) => void) {
    this.#path = path;
    this.#onRead = onRead;
  }

  release(memory: ArrayBufferLike): void {
    if (this.#spare.length < SPARE_BUFFERS && memory.byteLength === CHUNK_BYTES) {
      this.#spare.push(memory as ArrayBuffer);
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    const handle = await open(this.#path, 'r');
    try {
      for (;;) {
        const memory = this.#spare.pop() ?? new ArrayBuffer(CHUNK_BYTES);
        const buffer = Buffer.from(memory);
        const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, null);
        if (bytesRead === 0) return;
        this.#onRead?.(bytesRead);
        yield buffer.subarray(0, bytesRead);
      }
    } finally {
      await handle.close();
    }
  }
}
