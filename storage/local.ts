/**
 * A local folder as an object store (the embedded default). Every write goes
 * to a temporary name in the target's folder, is fsynced, and then appears
 * under its key in one atomic step: `link` for write-once objects (fails if
 * the key exists, so a concurrent writer cannot be overwritten) and `rename`
 * for pointers (under a lock file, so compare-and-swap holds across
 * processes). A crash leaves at most a hidden temporary file, never a
 * half-written object.
 *
 * Keys never leave the root: a symbolic link inside it (to a folder or a
 * file elsewhere) is refused before any read or write goes through it.
 */
import { createReadStream } from 'node:fs';
import { link, mkdir, open, readFile, readdir, realpath, rename, stat as fsStat, unlink, type FileHandle } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { dirname, join, relative, sep, basename } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { BadInputError } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import { hashFile } from './file-hash.js';
import { readWhole, type ReadBuffer } from './local-read.js';
import { ObjectConflictError, ObjectNotFoundError, PreconditionFailedError } from './errors.js';
import type { ObjectInfo, ObjectStore, PointerValue, PutOptions } from './object-store.js';
import { checkKey, checkPrefix } from './uri.js';

/** Names of temporary and lock files; never listed, never valid keys. */
const HIDDEN = '.w2s-';
/** A lock file older than this was left by a writer that died. */
const STALE_LOCK_MS = 30_000;

let tempCounter = 0;

export class LocalStore implements ObjectStore {
  readonly uri: string;
  private readonly hashCache = new Map<string, { mtimeMs: number; size: number; ino: number; sha256: string }>();
  private readonly pointerQueues = new Map<string, Promise<unknown>>();

  constructor(readonly root: string) {
    this.uri = pathToFileURL(root).href.replace(/\/$/, '');
  }

  uriOf(key: string): string {
    return pathToFileURL(this.pathOf(key)).href;
  }

  keyOf(uri: string): string {
    const path = uri.startsWith('file:') ? fileURLToPath(uri) : uri;
    const key = relative(this.root, path).split(sep).join('/');
    if (key.startsWith('..') || key === '') throw new BadInputError(`URI ${uri}`, `is not inside the storage root ${this.uri}`);
    return checkKey(key);
  }

  async put(key: string, data: Uint8Array | string, options: PutOptions = {}): Promise<ObjectInfo> {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    return this.publish(key, async (handle) => {
      await writeAll(handle, bytes);
      await options.onProgress?.(bytes.length, bytes.length);
      return { sha256: sha256Hex(bytes), size: bytes.length };
    });
  }

  async putFile(key: string, path: string, options: PutOptions = {}): Promise<ObjectInfo> {
    const total = (await fsStat(path)).size;
    return this.publish(key, async (handle) => {
      const hash = createHash('sha256');
      let size = 0;
      for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
        const bytes = chunk as Buffer;
        hash.update(bytes);
        size += bytes.length;
        await writeAll(handle, bytes);
        await options.onProgress?.(size, total);
      }
      return { sha256: hash.digest('hex'), size };
    });
  }

  async get(key: string): Promise<Uint8Array> {
    return this.read(key, undefined);
  }

  /**
   * `get` into a reusable buffer: the bytes returned are a view of `into`,
   * valid until the next read into it (see ReadBuffer).
   */
  async getInto(key: string, into: ReadBuffer): Promise<Uint8Array> {
    return this.read(key, into);
  }

  private async read(key: string, into: ReadBuffer | undefined): Promise<Uint8Array> {
    let handle: FileHandle;
    try {
      handle = await open(await this.resolvedPathOf(key), 'r');
    } catch (error) {
      throw this.translate(error, key);
    }
    try {
      return await readWhole(handle, into);
    } catch (error) {
      throw this.translate(error, key);
    } finally {
      await handle.close();
    }
  }

  async stream(key: string): Promise<Readable> {
    const path = await this.resolvedPathOf(key);
    const handle = await open(path, 'r').catch((error: unknown) => {
      throw this.translate(error, key);
    });
    return handle.createReadStream({ highWaterMark: 1 << 20 });
  }

  async list(prefix: string): Promise<string[]> {
    checkPrefix(prefix);
    const slash = prefix.lastIndexOf('/');
    const start = slash === -1 ? '' : prefix.slice(0, slash);
    const keys: string[] = [];
    await this.walk(start, prefix, keys);
    return keys.sort();
  }

  async exists(key: string): Promise<boolean> {
    try {
      return (await fsStat(await this.resolvedPathOf(key))).isFile();
    } catch (error) {
      if (isCode(error, 'ENOENT') || isCode(error, 'ENOTDIR')) return false;
      throw error;
    }
  }

  async stat(key: string): Promise<ObjectInfo> {
    const path = await this.resolvedPathOf(key);
    let info;
    try {
      info = await fsStat(path);
    } catch (error) {
      throw this.translate(error, key);
    }
    if (!info.isFile()) throw new ObjectNotFoundError(this.uriOf(key));
    const cached = this.hashCache.get(path);
    if (cached && cached.mtimeMs === info.mtimeMs && cached.size === info.size && cached.ino === info.ino) {
      return { key, uri: this.uriOf(key), size: info.size, sha256: cached.sha256 };
    }
    const { sha256 } = await hashFile(path);
    this.hashCache.set(path, { mtimeMs: info.mtimeMs, size: info.size, ino: info.ino, sha256 });
    return { key, uri: this.uriOf(key), size: info.size, sha256 };
  }

  async delete(key: string): Promise<void> {
    const path = await this.resolvedPathOf(key);
    this.hashCache.delete(path);
    await unlink(path).catch((error: unknown) => {
      if (!isCode(error, 'ENOENT')) throw error;
    });
  }

  async readPointer(key: string): Promise<PointerValue | undefined> {
    try {
      const data = await readFile(await this.resolvedPathOf(key));
      return { data, version: sha256Hex(data) };
    } catch (error) {
      if (isCode(error, 'ENOENT')) return undefined;
      throw error;
    }
  }

  async writePointer(key: string, data: Uint8Array | string, expectedVersion: string | null): Promise<PointerValue> {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    const target = await this.resolvedPathOf(key);
    await mkdir(dirname(target), { recursive: true });
    await this.ensureInsideRoot(target, key);
    // Writers in this process queue up; the lock file orders them against other processes.
    const previous = this.pointerQueues.get(target) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.withLock(target, () => this.swap(key, target, bytes, expectedVersion)));
    this.pointerQueues.set(target, next);
    try {
      return await next;
    } finally {
      if (this.pointerQueues.get(target) === next) this.pointerQueues.delete(target);
    }
  }

  private async swap(key: string, target: string, bytes: Uint8Array, expectedVersion: string | null): Promise<PointerValue> {
    const current = await this.readPointer(key);
    const version = sha256Hex(bytes);
    const currentVersion = current?.version ?? null;
    if (currentVersion !== expectedVersion) {
      if (currentVersion === version) return { data: bytes, version };
      throw new PreconditionFailedError(this.uriOf(key), expectedVersion, currentVersion);
    }
    const temp = await this.tempFor(target);
    await writeSynced(temp, bytes);
    await rename(temp, target);
    await syncFolder(dirname(target));
    this.hashCache.delete(target);
    return { data: bytes, version };
  }

  private async withLock<T>(target: string, fn: () => Promise<T>): Promise<T> {
    const lock = join(dirname(target), `${HIDDEN}lock-${basename(target)}`);
    for (let attempt = 0; ; attempt++) {
      try {
        const handle = await open(lock, 'wx');
        await handle.writeFile(`${process.pid}\n`);
        await handle.close();
        break;
      } catch (error) {
        if (!isCode(error, 'EEXIST')) throw error;
        const age = await fsStat(lock).then((s) => Date.now() - s.mtimeMs, () => 0);
        if (age > STALE_LOCK_MS) await unlink(lock).catch(() => undefined);
        else await delay(Math.min(2 + attempt, 25));
      }
    }
    try {
      return await fn();
    } finally {
      await unlink(lock).catch(() => undefined);
    }
  }

  /** Writes a temporary file through `write`, fsyncs it, then links it in under `key`. */
  private async publish(key: string, write: (handle: FileHandle) => Promise<{ sha256: string; size: number }>): Promise<ObjectInfo> {
    const target = await this.resolvedPathOf(key);
    const temp = await this.tempFor(target);
    // mkdir -p may have walked through a link created since the check above.
    await this.ensureInsideRoot(target, key);
    const handle = await open(temp, 'wx');
    let written: { sha256: string; size: number };
    try {
      written = await write(handle);
      await handle.sync();
    } catch (error) {
      await handle.close();
      await unlink(temp).catch(() => undefined);
      throw error;
    }
    await handle.close();
    return this.linkInPlace(key, temp, written.sha256, written.size);
  }

  /** Makes `temp` visible as `key` unless the key exists; then compares contents. */
  private async linkInPlace(key: string, temp: string, sha256: string, size: number): Promise<ObjectInfo> {
    const target = this.pathOf(key);
    try {
      await linkOrRename(temp, target);
      await syncFolder(dirname(target));
    } catch (error) {
      if (!isCode(error, 'EEXIST')) throw error;
      const existing = await this.stat(key);
      if (existing.sha256 !== sha256) throw new ObjectConflictError(this.uriOf(key), existing.sha256, sha256);
    } finally {
      await unlink(temp).catch(() => undefined);
    }
    return { key, uri: this.uriOf(key), size, sha256 };
  }

  private async tempFor(target: string): Promise<string> {
    await mkdir(dirname(target), { recursive: true });
    tempCounter += 1;
    return join(dirname(target), `${HIDDEN}tmp-${process.pid}-${tempCounter}-${basename(target)}`);
  }

  /** `pathOf`, after checking that no symbolic link on the way leads out of the root. */
  private async resolvedPathOf(key: string): Promise<string> {
    const path = this.pathOf(key);
    await this.ensureInsideRoot(path, key);
    return path;
  }

  /**
   * The deepest part of `path` that exists decides where it really points:
   * its real path must lie inside the root's real path. Parts that do not
   * exist yet cannot lead anywhere.
   */
  private async ensureInsideRoot(path: string, key: string): Promise<void> {
    const realRoot = await realpathOrUndefined(this.root);
    if (realRoot === undefined) return; // no root yet: nothing below it exists either
    for (let probe = path; ; probe = dirname(probe)) {
      const real = await realpathOrUndefined(probe);
      if (real !== undefined) {
        if (real !== realRoot && !real.startsWith(realRoot + sep)) {
          throw new BadInputError(`storage key "${key}"`, `leads outside the storage root ${this.uri} through a symbolic link (to ${real}); links inside a storage root are refused`);
        }
        return;
      }
      if (dirname(probe) === probe) return;
    }
  }

  private pathOf(key: string): string {
    checkKey(key);
    if (key.split('/').some((segment) => segment.startsWith(HIDDEN))) {
      throw new BadInputError(`storage key "${key}"`, `names starting with "${HIDDEN}" are reserved for temporary files`);
    }
    return join(this.root, ...key.split('/'));
  }

  private async walk(folderKey: string, prefix: string, out: string[]): Promise<void> {
    let entries;
    try {
      entries = await readdir(folderKey === '' ? this.root : join(this.root, ...folderKey.split('/')), { withFileTypes: true });
    } catch (error) {
      if (isCode(error, 'ENOENT') || isCode(error, 'ENOTDIR')) return;
      throw error;
    }
    for (const entry of entries) {
      if (entry.name.startsWith(HIDDEN)) continue;
      const key = folderKey === '' ? entry.name : `${folderKey}/${entry.name}`;
      if (entry.isDirectory()) {
        if (prefix.startsWith(`${key}/`) || key.startsWith(prefix)) await this.walk(key, prefix, out);
      } else if (entry.isFile() && key.startsWith(prefix)) {
        out.push(key);
      }
    }
  }

  private translate(error: unknown, key: string): Error {
    if (isCode(error, 'ENOENT') || isCode(error, 'EISDIR') || isCode(error, 'ENOTDIR')) return new ObjectNotFoundError(this.uriOf(key));
    return error instanceof Error ? error : new Error(String(error));
  }
}

/**
 * `link` refuses an existing target atomically. Filesystems without hard
 * links get a rename guarded by an existence check (a narrow race, where a
 * concurrent identical write is harmless).
 */
async function linkOrRename(temp: string, target: string): Promise<void> {
  try {
    await link(temp, target);
  } catch (error) {
    if (!isCode(error, 'EPERM') && !isCode(error, 'ENOTSUP') && !isCode(error, 'EOPNOTSUPP')) throw error;
    const exists = await fsStat(target).then(() => true, () => false);
    if (exists) throw Object.assign(new Error(`${target} exists`), { code: 'EEXIST' });
    await rename(temp, target);
  }
}

async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
    offset += bytesWritten;
  }
}

async function writeSynced(path: string, bytes: Uint8Array): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    await writeAll(handle, bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes a rename or link in `folder` durable. */
async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function realpathOrUndefined(path: string): Promise<string | undefined> {
  try {
    return await realpath(path);
  } catch (error) {
    if (isCode(error, 'ENOENT') || isCode(error, 'ENOTDIR')) return undefined;
    throw error;
  }
}

function isCode(error: unknown, code: string): boolean {
  return error instanceof Error && 'code' in error && error.code === code;
}
