/**
 * The decoded bytes of a source file, gunzipped when the file starts with
 * the gzip magic (whatever its name), as a stream of chunks. The file may be
 * local or an object in a store (see source-tree.ts); either way it is read
 * once, front to back. A gzip stream that ends early is reported through
 * `truncated` instead of an exception, so the format reader can say how many
 * bytes it found; corrupt gzip data and missing files become BadInputErrors
 * naming the file.
 */
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { BadInputError, isBadInputError } from '../../core/errors.js';
import { describeFsError, type SourceTree } from './source-tree.js';

export { describeFsError } from './source-tree.js';

const GZIP_MAGIC = [0x1f, 0x8b] as const;

export class FileBytes implements AsyncIterable<Uint8Array> {
  /** True once the gzip stream has ended before its trailer. */
  truncated = false;
  private used = false;

  private constructor(
    readonly where: string,
    readonly gzipped: boolean,
    private readonly source: Readable,
    private readonly chunks: AsyncIterator<Uint8Array>,
    private readonly first: Uint8Array | undefined,
  ) {}

  /** Opens `path` in `tree` and looks at its first bytes to tell gzip from raw data. */
  static async open(tree: SourceTree, path: string, where: string): Promise<FileBytes> {
    const source = await tree.stream(path).catch((error: unknown) => {
      // The tree names the file; say it again in the reader's words ("IDX file …").
      throw isBadInputError(error) ? new BadInputError(where, error.message.slice(error.where.length + 2), { cause: error }) : error;
    });
    const chunks = source[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
    let first: Uint8Array | undefined;
    try {
      // Chunks of a file stream are at least 2 bytes unless the file is shorter.
      const next = await chunks.next();
      first = next.done ? undefined : next.value;
    } catch (error) {
      source.destroy();
      throw new BadInputError(where, describeFsError(error), { cause: error });
    }
    const gzipped = first !== undefined && first.length >= 2 && first[0] === GZIP_MAGIC[0] && first[1] === GZIP_MAGIC[1];
    return new FileBytes(where, gzipped, source, chunks, first);
  }

  /** Releases the file without reading it (when only the header was needed). */
  close(): void {
    this.source.destroy();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.used) throw new Error(`${this.where}: FileBytes can be read once`);
    this.used = true;
    if (!this.gzipped) {
      try {
        yield* this.raw();
      } catch (error) {
        throw new BadInputError(this.where, describeFsError(error), { cause: error });
      } finally {
        this.source.destroy();
      }
      return;
    }
    const raw = Readable.from(this.raw(), { objectMode: false });
    const gunzip = createGunzip({ chunkSize: 1 << 20 });
    raw.on('error', (error) => gunzip.destroy(error));
    raw.pipe(gunzip);
    try {
      yield* gunzip;
    } catch (error) {
      if (isZlibError(error, 'Z_BUF_ERROR')) {
        this.truncated = true;
        return;
      }
      if (isZlibError(error)) throw new BadInputError(this.where, `corrupt gzip data (${(error as Error).message})`, { cause: error });
      throw new BadInputError(this.where, describeFsError(error), { cause: error });
    } finally {
      raw.destroy();
      gunzip.destroy();
      this.source.destroy();
    }
  }

  private async *raw(): AsyncGenerator<Uint8Array> {
    if (this.first !== undefined) yield this.first;
    for (;;) {
      const next = await this.chunks.next();
      if (next.done) return;
      yield next.value;
    }
  }
}

function isZlibError(error: unknown, code?: string): boolean {
  if (!(error instanceof Error) || !('code' in error) || typeof error.code !== 'string') return false;
  return code === undefined ? error.code.startsWith('Z_') : error.code === code;
}
