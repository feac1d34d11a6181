/**
 * The decoded bytes of a local file, gunzipped when the file starts with the
 * gzip magic (whatever its name), as a stream of chunks. A gzip stream that
 * ends early is reported through `truncated` instead of an exception, so the
 * format reader can say how many bytes it found; corrupt gzip data and
 * missing files become BadInputErrors naming the file.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { BadInputError } from '../../core/errors.js';

const GZIP_MAGIC = [0x1f, 0x8b] as const;

export class FileBytes implements AsyncIterable<Uint8Array> {
  /** True once the gzip stream has ended before its trailer. */
  truncated = false;

  private constructor(
    readonly path: string,
    readonly where: string,
    readonly gzipped: boolean,
  ) {}

  static async open(path: string, where: string): Promise<FileBytes> {
    const head = new Uint8Array(2);
    let bytesRead: number;
    try {
      const handle = await open(path, 'r');
      try {
        ({ bytesRead } = await handle.read(head, 0, 2, 0));
      } finally {
        await handle.close();
      }
    } catch (error) {
      throw new BadInputError(where, describeFsError(error), { cause: error });
    }
    const gzipped = bytesRead === 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
    return new FileBytes(path, where, gzipped);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    const file = createReadStream(this.path, { highWaterMark: 1 << 20 });
    if (!this.gzipped) {
      try {
        yield* file;
      } catch (error) {
        throw new BadInputError(this.where, describeFsError(error), { cause: error });
      } finally {
        file.destroy();
      }
      return;
    }
    const gunzip = createGunzip({ chunkSize: 1 << 20 });
    file.on('error', (error) => gunzip.destroy(error));
    file.pipe(gunzip);
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
      file.destroy();
      gunzip.destroy();
    }
  }
}

function isZlibError(error: unknown, code?: string): boolean {
  if (!(error instanceof Error) || !('code' in error) || typeof error.code !== 'string') return false;
  return code === undefined ? error.code.startsWith('Z_') : error.code === code;
}

export function describeFsError(error: unknown): string {
  const code = error instanceof Error && 'code' in error ? error.code : undefined;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'is a folder, expected a file';
  if (code === 'EACCES') return 'permission denied';
  return `cannot read (${error instanceof Error ? error.message : String(error)})`;
}
