/**
 * IDX files (MNIST, Fashion-MNIST, EMNIST), raw or gzipped. The streaming
 * reader yields fixed-size records in chunks so a large file never has to
 * sit in memory twice; `readIdxImages` / `readIdxLabels` are the whole-file
 * conveniences on top. Every problem with the file is a BadInputError
 * naming it: wrong magic, an unsupported data type, truncation, trailing data.
 */
import { BadInputError, isBadInputError } from '../../core/errors.js';
import { ByteReader } from './byte-reader.js';
import { dirname, basename } from 'node:path';
import { FileBytes } from './file-bytes.js';
import { LocalTree, type SourceTree } from './source-tree.js';

/** Type codes of the IDX format; w2s reads unsigned bytes only (images, labels). */
const UBYTE = 0x08;
const TYPE_NAMES: Record<number, string> = { 0x08: 'uint8', 0x09: 'int8', 0x0b: 'int16', 0x0c: 'int32', 0x0d: 'float32', 0x0e: 'float64' };

export interface IdxHeader {
  /** All dimensions, the record count first: `[60000, 28, 28]`. */
  readonly dims: readonly number[];
  readonly count: number;
  /** Bytes per record (product of the dimensions after the first). */
  readonly recordSize: number;
  /** Size of the decoded file: header plus all records. */
  readonly byteLength: number;
  readonly headerLength: number;
}

export interface IdxChunk {
  /** Position of the first record of the chunk in the file. */
  readonly start: number;
  readonly count: number;
  /** `count * recordSize` bytes, records back to back. */
  readonly data: Uint8Array;
}

export class IdxReader {
  private constructor(
    readonly where: string,
    readonly header: IdxHeader,
    private readonly bytes: FileBytes,
    private readonly reader: ByteReader,
  ) {}

  /** A local IDX file. */
  static async open(path: string): Promise<IdxReader> {
    const where = `IDX file ${path}`;
    const tree = await LocalTree.open(dirname(path)).catch((error: unknown) => {
      throw isBadInputError(error) ? new BadInputError(where, error.message.slice(error.where.length + 2), { cause: error }) : error;
    });
    return IdxReader.openIn(tree, basename(path), where);
  }

  /** An IDX file in a source tree (a local folder or an object store). */
  static async openIn(tree: SourceTree, path: string, where = `IDX file ${tree.describe(path)}`): Promise<IdxReader> {
    const bytes = await FileBytes.open(tree, path, where);
    const reader = new ByteReader(bytes);
    try {
      const header = await readHeader(reader, bytes, where);
      return new IdxReader(where, header, bytes, reader);
    } catch (error) {
      await reader.close();
      throw error;
    }
  }

  /**
   * The records in order, `recordsPerChunk` at a time (the last chunk may
   * be shorter). Ends by checking that the file holds nothing more.
   */
  async *chunks(recordsPerChunk: number): AsyncGenerator<IdxChunk> {
    const { count, recordSize } = this.header;
    try {
      for (let start = 0; start < count; start += recordsPerChunk) {
        const n = Math.min(recordsPerChunk, count - start);
        const data = new Uint8Array(n * recordSize);
        await this.fill(data);
        yield { start, count: n, data };
      }
      await this.expectEnd();
    } finally {
      await this.reader.close();
    }
  }

  /** All records as one array of `count * recordSize` bytes. */
  async readAll(): Promise<Uint8Array> {
    try {
      const data = new Uint8Array(this.header.count * this.header.recordSize);
      await this.fill(data);
      await this.expectEnd();
      return data;
    } finally {
      await this.reader.close();
    }
  }

  async close(): Promise<void> {
    await this.reader.close();
  }

  private async fill(target: Uint8Array): Promise<void> {
    const got = await this.reader.readInto(target, 0, target.length);
    if (got < target.length) {
      throw new BadInputError(this.where, `expected ${this.header.byteLength} bytes, found ${this.reader.consumed} (truncated?)`);
    }
  }

  private async expectEnd(): Promise<void> {
    // Past what the header promises, reading stops after TRAILING_BYTES_SEEN: the count only makes the message exact for a small tail.
    const { skipped, ended } = await this.reader.drain(TRAILING_BYTES_SEEN);
    if (skipped > 0) {
      const found = ended ? `${this.header.byteLength + skipped}` : `more than ${this.header.byteLength + TRAILING_BYTES_SEEN}`;
      throw new BadInputError(this.where, `expected ${this.header.byteLength} bytes, found ${found} (trailing data after the last record${ended ? '' : '; not read further'})`);
    }
    if (this.bytes.truncated) {
      throw new BadInputError(this.where, `gzip stream ends before its trailer after ${this.header.byteLength} bytes (truncated?)`);
    }
  }
}

/** Trailing bytes read before a file is refused without reading further (what a gzip bomb behind a valid header would have us decompress). */
const TRAILING_BYTES_SEEN = 1 << 20;

async function readHeader(reader: ByteReader, bytes: FileBytes, where: string): Promise<IdxHeader> {
  const magic = await reader.read(4);
  if (magic.length < 4) throw new BadInputError(where, `file holds ${magic.length} bytes, too short for an IDX header`);
  const [zero0, zero1, typeCode, rank] = magic as unknown as [number, number, number, number];
  if (zero0 !== 0 || zero1 !== 0 || rank === 0) {
    const hex = Array.from(magic, (b) => `0x${b.toString(16).padStart(2, '0')}`).join(' ');
    const gz = bytes.gzipped ? ' after gunzip' : '';
    throw new BadInputError(where, `not an IDX file: magic bytes${gz} are ${hex}, expected 0x00 0x00 <type> <rank>`);
  }
  if (typeCode !== UBYTE) {
    const name = TYPE_NAMES[typeCode] ?? 'unknown';
    throw new BadInputError(where, `IDX data type 0x${typeCode.toString(16).padStart(2, '0')} (${name}) is not supported; expected 0x08 (uint8)`);
  }
  const dimBytes = await reader.read(4 * rank);
  const headerLength = 4 + 4 * rank;
  if (dimBytes.length < 4 * rank) {
    throw new BadInputError(where, `expected a ${headerLength}-byte header, found ${4 + dimBytes.length} (truncated?)`);
  }
  const view = new DataView(dimBytes.buffer, dimBytes.byteOffset, dimBytes.byteLength);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 * i, false));
  const count = dims[0] ?? 0;
  const recordSize = dims.slice(1).reduce((a, b) => a * b, 1);
  return { dims, count, recordSize, byteLength: headerLength + count * recordSize, headerLength };
}

export interface IdxImages {
  readonly count: number;
  readonly height: number;
  readonly width: number;
  /** `count * height * width` bytes, row-major per image. */
  readonly data: Uint8Array;
}

/** A whole rank-3 IDX image file (`[count, height, width]`, uint8): a local path, or a path in `tree`. */
export async function readIdxImages(path: string, tree?: SourceTree): Promise<IdxImages> {
  const reader = tree ? await IdxReader.openIn(tree, path) : await IdxReader.open(path);
  const [count, height, width] = reader.header.dims;
  if (reader.header.dims.length !== 3 || count === undefined || height === undefined || width === undefined) {
    await reader.close();
    throw new BadInputError(reader.where, `expected an image file with dimensions [count, height, width], found [${reader.header.dims.join(', ')}]`);
  }
  return { count, height, width, data: await reader.readAll() };
}

/** A whole rank-1 IDX label file (`[count]`, uint8): a local path, or a path in `tree`. */
export async function readIdxLabels(path: string, tree?: SourceTree): Promise<Uint8Array> {
  const reader = tree ? await IdxReader.openIn(tree, path) : await IdxReader.open(path);
  if (reader.header.dims.length !== 1) {
    await reader.close();
    throw new BadInputError(reader.where, `expected a label file with dimensions [count], found [${reader.header.dims.join(', ')}]`);
  }
  return reader.readAll();
}
