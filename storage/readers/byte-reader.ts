/**
 * Exact-length reads over a stream of byte chunks, for binary formats whose
 * records have fixed sizes (IDX, CIFAR). Only the chunk being consumed and
 * the bytes asked for are held, so memory stays bounded by the record size.
 */
export class ByteReader {
  private readonly chunks: AsyncIterator<Uint8Array>;
  private pending: Uint8Array = new Uint8Array(0);
  private pendingOffset = 0;
  private done = false;
  /** Bytes handed out so far. */
  consumed = 0;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.chunks = source[Symbol.asyncIterator]();
  }

  /**
   * Fills `target[offset, offset + length)` and returns how many bytes were
   * written: `length`, or fewer when the stream ended first.
   */
  async readInto(target: Uint8Array, offset: number, length: number): Promise<number> {
    let written = 0;
    while (written < length) {
      if (this.pendingOffset >= this.pending.length) {
        if (!(await this.pull())) break;
        continue;
      }
      const take = Math.min(length - written, this.pending.length - this.pendingOffset);
      target.set(this.pending.subarray(this.pendingOffset, this.pendingOffset + take), offset + written);
      this.pendingOffset += take;
      written += take;
    }
    this.consumed += written;
    return written;
  }

  /** Up to `length` bytes; fewer only at the end of the stream. */
  async read(length: number): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    const got = await this.readInto(out, 0, length);
    return got === length ? out : out.subarray(0, got);
  }

  /**
   * Reads and discards the rest of the stream, but no more than `limit`
   * bytes past what was pending: a stream that goes on (a gzip bomb behind a
   * valid header) is not decompressed to its end. Returns how many bytes
   * were discarded and whether the stream ended within the limit.
   */
  async drain(limit = Number.POSITIVE_INFINITY): Promise<{ readonly skipped: number; readonly ended: boolean }> {
    let skipped = this.pending.length - this.pendingOffset;
    this.pendingOffset = this.pending.length;
    while (skipped <= limit && (await this.pull())) {
      skipped += this.pending.length;
      this.pendingOffset = this.pending.length;
    }
    this.consumed += skipped;
    return { skipped, ended: this.done };
  }

  /** Stops reading early, releasing the underlying stream. */
  async close(): Promise<void> {
    if (!this.done) {
      this.done = true;
      await this.chunks.return?.();
    }
  }

  private async pull(): Promise<boolean> {
    if (this.done) return false;
    const next = await this.chunks.next();
    if (next.done) {
      this.done = true;
      return false;
    }
    this.pending = next.value;
    this.pendingOffset = 0;
    return true;
  }
}
