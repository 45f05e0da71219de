// Pull-style reading over an async iterable of byte chunks: lines for the header, exact counts for
// the nonce, look-ahead for STREAM chunks. Holds at most what the caller asked for plus one source chunk.

/**
 * A source that takes its chunks' memory back for reuse (a file read into the same few buffers
 * instead of a fresh MiB per read, which is garbage the main thread pays for in full GCs).
 */
export interface RecyclingSource extends AsyncIterable<Uint8Array> {
  /** Called with a chunk's memory once nothing read from it can still be in use. */
  release(memory: ArrayBufferLike): void;
}

function isRecycling(source: AsyncIterable<Uint8Array>): source is RecyclingSource {
  return typeof (source as Partial<RecyclingSource>).release === 'function';
}

export class ByteReader {
  private readonly source: AsyncIterator<Uint8Array>;
  private readonly parts: Buffer[] = [];
  private head = 0; // offset into parts[0]
  private buffered = 0;
  private ended = false;
  private readonly recycler: RecyclingSource | null;
  /** Source chunks read to their end, handed back at the next read from the source. */
  private readonly consumed: ArrayBufferLike[] = [];

  /**
   * With a RecyclingSource, a view returned by `take`, `takeParts` or `line` is valid only until
   * the next `fill` (its memory may then be read into again); copy what must outlive that.
   */
  constructor(source: AsyncIterable<Uint8Array>) {
    this.source = source[Symbol.asyncIterator]();
    this.recycler = isRecycling(source) ? source : null;
  }

  get length(): number {
    return this.buffered;
  }

  /** Reads until at least `n` bytes are buffered or the source ends; returns what is buffered. */
  async fill(n: number): Promise<number> {
    while (this.buffered < n && !this.ended) {
      if (this.recycler !== null) {
        for (const memory of this.consumed) this.recycler.release(memory);
        this.consumed.length = 0;
      }
      const next = await this.source.next();
      if (next.done === true) {
        this.ended = true;
        break;
      }
      const chunk = next.value;
      if (chunk.byteLength === 0) continue;
      this.parts.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this.buffered += chunk.byteLength;
    }
    return this.buffered;
  }

  /** Takes up to `n` buffered bytes (call fill first). */
  take(n: number): Buffer {
    const want = Math.min(n, this.buffered);
    const first = this.parts[0];
    if (first !== undefined && first.length - this.head >= want) {
      const out = first.subarray(this.head, this.head + want);
      this.advance(want);
      return out;
    }
    const out = Buffer.allocUnsafe(want);
    let filled = 0;
    while (filled < want) {
      const part = this.parts[0]!;
      const count = Math.min(part.length - this.head, want - filled);
      part.copy(out, filled, this.head, this.head + count);
      filled += count;
      this.advance(count);
    }
    return out;
  }

  /** Takes `n` buffered bytes as views into the source chunks, without joining them (call fill first). */
  takeParts(n: number): Buffer[] {
    if (n > this.buffered) throw new RangeError('not enough bytes buffered');
    const parts: Buffer[] = [];
    while (n > 0) {
      const part = this.parts[0]!;
      const count = Math.min(part.length - this.head, n);
      parts.push(part.subarray(this.head, this.head + count));
      n -= count;
      this.advance(count);
    }
    return parts;
  }

  /** Copies the next `target.length` buffered bytes into `target` (call fill first). */
  takeInto(target: Buffer): void {
    if (target.length > this.buffered) throw new RangeError('not enough bytes buffered');
    let filled = 0;
    while (filled < target.length) {
      const part = this.parts[0]!;
      const count = Math.min(part.length - this.head, target.length - filled);
      part.copy(target, filled, this.head, this.head + count);
      filled += count;
      this.advance(count);
    }
  }

  /**
   * Reads one line ending in "\n" and returns it without the newline, or null when the source
   * ends first (the partial line stays unread). A line longer than `max` bytes is an error.
   */
  async line(max: number): Promise<Buffer | null> {
    let scanned = 0;
    for (;;) {
      const at = this.indexOfNewline(scanned);
      if (at >= 0) {
        const line = this.take(at + 1);
        return line.subarray(0, at);
      }
      scanned = this.buffered;
      if (scanned > max) throw new RangeError('line too long');
      if (this.ended) return null;
      await this.fill(this.buffered + 1);
      if (this.buffered === scanned) return null;
    }
  }

  /** Closes the source early (a refused file is not read to its end). */
  async close(): Promise<void> {
    await this.source.return?.();
  }

  private indexOfNewline(from: number): number {
    let offset = 0;
    for (let i = 0; i < this.parts.length; i++) {
      const part = this.parts[i]!;
      const start = i === 0 ? this.head : 0;
      const size = part.length - start;
      if (offset + size > from) {
        const local = part.indexOf(0x0a, start + Math.max(0, from - offset));
        if (local >= 0) return offset + local - start;
      }
      offset += size;
    }
    return -1;
  }

  private advance(n: number): void {
    this.buffered -= n;
    this.head += n;
    while (this.parts.length > 0 && this.head >= this.parts[0]!.length) {
      this.head -= this.parts[0]!.length;
      const done = this.parts.shift()!;
      if (this.recycler !== null) this.consumed.push(done.buffer);
    }
  }
}
