/**
 * Where a dataset source's files live: a local folder, or any object store
 * (`gs://bucket/prefix`). The readers (IDX, CIFAR, image folders) see only
 * this small read-only view, so a cluster reads its source straight from the
 * bucket and needs no shared disk. Paths are relative and `/`-separated; an
 * object store's "folders" are the prefixes of its keys.
 */
import type { Dirent } from 'node:fs';
import { createReadStream } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { BadInputError } from '../../core/errors.js';
import { sha256Hex } from '../../core/hash.js';
import { ObjectNotFoundError } from '../errors.js';
import { hashFile } from '../file-hash.js';
import type { ObjectStore } from '../object-store.js';
import { openStore } from '../open.js';
import { parseStorageUri } from '../uri.js';

export interface SourceEntry {
  readonly name: string;
  readonly kind: 'file' | 'folder';
}

export interface SourceTree {
  /** The source as the user named it (a folder or a URI), for messages. */
  readonly root: string;
  /** What the source is, for messages: `IDX source`, `image folder`. */
  readonly label: string;
  /** The full name of a path in this tree, for messages: `/data/x.gz` or `gs://b/p/x.gz`. */
  describe(path: string): string;
  /** Entries directly in `folder` (`''` for the root), sorted by name; throws when the folder does not exist. */
  list(folder: string): Promise<SourceEntry[]>;
  stream(path: string): Promise<Readable>;
  read(path: string): Promise<Uint8Array>;
  /** sha256 and size, without a download where the backend keeps the hash. */
  hash(path: string): Promise<{ sha256: string; bytes: number }>;
  /** A local file name for readers that open files themselves (e.g. only an image header), when there is one. */
  localPath?(path: string): string;
}

export interface OpenSourceOptions {
  /** What the source is, for messages (default `source`). */
  readonly label?: string;
  /** Opens an object store for a URI (a worker passes its shared, cached stores). */
  readonly open?: (uri: string) => ObjectStore;
}

/** A source named by a path, `file://` URI or storage URI (`gs://bucket/prefix`). */
export async function openSourceTree(source: string, options: OpenSourceOptions = {}): Promise<SourceTree> {
  const label = options.label ?? 'source';
  const location = parseStorageUri(source);
  if (location.kind === 'local') return LocalTree.open(source.startsWith('file:') ? fileURLToPath(source) : source, label);
  return new StoreTree(source.replace(/\/+$/, ''), label, (options.open ?? openStore)(source));
}

/** True for sources read through an object store rather than the local file system. */
export function isStoreSource(source: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(source) && !source.startsWith('file:');
}

/** A local folder; links are followed but may not lead outside it. */
export class LocalTree implements SourceTree {
  private constructor(
    readonly root: string,
    readonly label: string,
    private readonly real: string,
  ) {}

  static async open(folder: string, label = 'source'): Promise<LocalTree> {
    const real = await realpath(folder).catch((error: unknown) => {
      throw new BadInputError(`${label} ${folder}`, describeFsError(error), { cause: error });
    });
    if (!(await stat(real)).isDirectory()) throw new BadInputError(`${label} ${folder}`, 'is not a folder');
    return new LocalTree(folder, label, real);
  }

  describe(path: string): string {
    return path === '' ? this.root : join(this.root, path);
  }

  localPath(path: string): string {
    return join(this.real, path);
  }

  async list(folder: string): Promise<SourceEntry[]> {
    const where = folder === '' ? `${this.label} ${this.root}` : `folder ${this.describe(folder)}`;
    const entries: Dirent[] = await readdir(this.localPath(folder), { withFileTypes: true }).catch((error: unknown) => {
      throw new BadInputError(where, describeFsError(error), { cause: error });
    });
    const out: SourceEntry[] = [];
    for (const entry of entries) {
      const path = folder === '' ? entry.name : `${folder}/${entry.name}`;
      let kind: SourceEntry['kind'] = entry.isDirectory() ? 'folder' : 'file';
      if (entry.isSymbolicLink()) kind = (await this.followLink(path)) ? 'folder' : 'file';
      out.push({ name: entry.name, kind });
    }
    return out.sort(byName);
  }

  async stream(path: string): Promise<Readable> {
    await this.check(path);
    return createReadStream(this.localPath(path), { highWaterMark: 1 << 20 });
  }

  async read(path: string): Promise<Uint8Array> {
    await this.check(path);
    return readFile(this.localPath(path)).catch((error: unknown) => {
      throw new BadInputError(this.describe(path), describeFsError(error), { cause: error });
    });
  }

  async hash(path: string): Promise<{ sha256: string; bytes: number }> {
    await this.check(path);
    return hashFile(this.localPath(path));
  }

  /** Resolves a link and refuses anything outside the source folder; true for a folder. */
  private async followLink(path: string): Promise<boolean> {
    const real = await realpath(this.localPath(path)).catch((error: unknown) => {
      throw new BadInputError(`${this.label} entry ${this.describe(path)}`, describeFsError(error), { cause: error });
    });
    const rel = relative(this.real, real);
    if (rel === '' || rel.startsWith('..') || rel.startsWith(sep)) {
      throw new BadInputError(`${this.label} entry ${this.describe(path)}`, `resolves to ${real}, outside the source folder ${this.root}`);
    }
    return (await stat(real)).isDirectory();
  }

  private async check(path: string): Promise<void> {
    const info = await stat(this.localPath(path)).catch((error: unknown) => {
      throw new BadInputError(this.describe(path), describeFsError(error), { cause: error });
    });
    if (info.isDirectory()) throw new BadInputError(this.describe(path), 'is a folder, expected a file');
  }
}

/**
 * Objects under a store's root. The whole listing is read once (one paged
 * list call, however many "folders" the readers walk) and kept. Objects
 * uploaded by other tools carry no sha256 of ours, so every complete read
 * hashes the bytes as they pass and `hash` answers from that, sparing the
 * readers a second download of each file.
 */
export class StoreTree implements SourceTree {
  private keys: Promise<string[]> | undefined;
  private readonly hashes = new Map<string, { sha256: string; bytes: number }>();

  constructor(
    readonly root: string,
    readonly label: string,
    private readonly store: ObjectStore,
  ) {}

  describe(path: string): string {
    return path === '' ? this.root : this.store.uriOf(path);
  }

  async list(folder: string): Promise<SourceEntry[]> {
    const keys = await this.allKeys();
    const prefix = folder === '' ? '' : `${folder}/`;
    const entries = new Map<string, SourceEntry['kind']>();
    for (const key of keys) {
      if (!key.startsWith(prefix)) continue;
      const rest = key.slice(prefix.length);
      const slash = rest.indexOf('/');
      if (slash === -1) entries.set(rest, entries.get(rest) ?? 'file');
      else entries.set(rest.slice(0, slash), 'folder');
    }
    if (entries.size === 0) {
      throw new BadInputError(folder === '' ? `${this.label} ${this.root}` : `folder ${this.describe(folder)}`, 'no objects under this prefix');
    }
    return [...entries].map(([name, kind]) => ({ name, kind })).sort(byName);
  }

  async stream(path: string): Promise<Readable> {
    const source = await this.answer(path, () => this.store.stream(path));
    const hash = createHash('sha256');
    let bytes = 0;
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        bytes += chunk.length;
        done(null, chunk);
      },
      // Only a stream read to its end leaves a hash behind.
      flush: (done) => {
        this.hashes.set(path, { sha256: hash.digest('hex'), bytes });
        done();
      },
    });
    source.on('error', (error) => hashing.destroy(error));
    hashing.on('close', () => source.destroy());
    return source.pipe(hashing);
  }

  async read(path: string): Promise<Uint8Array> {
    const data = await this.answer(path, () => this.store.get(path));
    this.hashes.set(path, { sha256: sha256Hex(data), bytes: data.length });
    return data;
  }

  async hash(path: string): Promise<{ sha256: string; bytes: number }> {
    const known = this.hashes.get(path);
    if (known) return known;
    const info = await this.answer(path, () => this.store.stat(path));
    return { sha256: info.sha256, bytes: info.size };
  }

  private allKeys(): Promise<string[]> {
    // Folder placeholders (keys ending in `/`, made by some consoles) hold no data.
    this.keys ??= this.store.list('').then((keys) => keys.filter((key) => key !== '' && !key.endsWith('/')));
    return this.keys;
  }

  /** A missing object is bad input naming its URI; anything else (network, 5xx) stays retryable. */
  private async answer<T>(path: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof ObjectNotFoundError) throw new BadInputError(this.describe(path), 'no such object', { cause: error });
      throw error;
    }
  }
}

function byName(a: SourceEntry, b: SourceEntry): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export function describeFsError(error: unknown): string {
  const code = error instanceof Error && 'code' in error ? error.code : undefined;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'is a folder, expected a file';
  if (code === 'ENOTDIR') return 'is not a folder';
  if (code === 'EACCES') return 'permission denied';
  return `cannot read (${error instanceof Error ? error.message : String(error)})`;
}
