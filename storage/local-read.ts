/**
 * Whole-file reads, optionally into a reusable buffer. A fresh buffer per
 * shard-sized read leaves megabytes of external memory per read for the
 * garbage collector, whose full collections then cost more than the reads
 * themselves; a reader that holds a fixed number of files at a time (the
 * training loader holds two shards) reads each into one of its own
 * ReadBuffers instead.
 */
import { open, type FileHandle } from 'node:fs/promises';

/**
 * A destination for whole-file reads that keeps its memory between reads:
 * it grows to the largest file read into it and never shrinks. The bytes a
 * read returns are a view of it, valid until the next read into the same
 * buffer; whoever owns the buffer must not read into it while anything
 * decoded from the previous bytes is still in use.
 */
export class ReadBuffer {
  private memory = new Uint8Array(0);

  /** A view of the first `size` bytes, reallocating only when the buffer is smaller. */
  claim(size: number): Uint8Array {
    if (this.memory.length < size) this.memory = new Uint8Array(size);
    return this.memory.subarray(0, size);
  }

  /** Bytes held between reads. */
  get capacity(): number {
    return this.memory.length;
  }
}

/**
 * The whole file behind `handle` in one read: into `into` when given, else
 * into an unpooled buffer of the file's size (about twice as fast as
 * readFile for shard-sized files).
 */
export async function readWhole(handle: FileHandle, into?: ReadBuffer): Promise<Uint8Array> {
  const size = (await handle.stat()).size;
  const buffer = into ? into.claim(size) : Buffer.allocUnsafeSlow(size);
  let filled = 0;
  while (filled < size) {
    const { bytesRead } = await handle.read(buffer, filled, size - filled, filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled === size ? buffer : buffer.subarray(0, filled);
}

/** The whole file at `path`, read into `into` (see ReadBuffer for how long the bytes stay valid). */
export async function readFileInto(path: string, into: ReadBuffer): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    return await readWhole(handle, into);
  } finally {
    await handle.close();
  }
}
