/**
 * Fixed-size records on local disk, written at any position and read back
 * in ranges: where decoded images wait, in their final split order, until
 * the dataset id (which covers their statistics) is known and the shards can
 * be written. Keeps ingestion memory bounded by a chunk, not the dataset.
 * Synchronous positional IO: one syscall per record, no promise per record.
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export class SpillFile {
  private readonly fd: number;

  constructor(
    folder: string,
    name: string,
    readonly recordBytes: number,
  ) {
    this.fd = openSync(join(folder, name), 'w+');
  }

  write(position: number, record: Uint8Array): void {
    let done = 0;
    while (done < record.length) done += writeSync(this.fd, record, done, record.length - done, position * this.recordBytes + done);
  }

  read(start: number, count: number): Uint8Array {
    const out = new Uint8Array(count * this.recordBytes);
    let done = 0;
    while (done < out.length) {
      const got = readSync(this.fd, out, done, out.length - done, start * this.recordBytes + done);
      if (got === 0) throw new Error(`spill file ended at byte ${start * this.recordBytes + done}, expected ${out.length} more`);
      done += got;
    }
    return out;
  }

  close(): void {
    closeSync(this.fd);
  }
}
