/**
 * Shard bytes for the loader, verified against the sha256 the manifest
 * pinned. A local store is read in place; a remote one is downloaded once
 * into a local cache (`<cacheDir>/<sha256>.arrow`, written under a temporary
 * name and renamed, so concurrent loaders share it safely) and read from there.
 * A caller that holds a fixed number of shards at a time passes a ReadBuffer
 * per held shard, so that reads do not allocate (see ../local-read.ts).
 */
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BadInputError } from '../../core/errors.js';
import { sha256Hex } from '../../core/hash.js';
import type { ObjectRef } from '../../schemas/stages.js';
import { LocalStore } from '../local.js';
import { readFileInto, type ReadBuffer } from '../local-read.js';
import type { ObjectStore } from '../object-store.js';

let tempCounter = 0;

export class ShardFetcher {
  private readonly verified = new Set<string>();

  constructor(
    private readonly store: ObjectStore,
    private readonly cacheDir: string | undefined,
  ) {}

  /** True when shards are read in place rather than through the cache. */
  get local(): boolean {
    return this.store instanceof LocalStore || this.cacheDir === undefined;
  }

  /**
   * The shard's verified bytes. With `into`, local reads (the store's or the
   * cache's) land in that buffer and the bytes are a view of it, valid until
   * the next read into it; a download from a remote store still gets a
   * buffer of its own, once per shard.
   */
  async fetch(ref: ObjectRef, into?: ReadBuffer): Promise<Uint8Array> {
    const key = ref.key;
    if (this.local) return this.check(ref, await this.readStore(key, into));
    const cached = join(this.cacheDir!, `${ref.sha256}.arrow`);
    const hit = await (into ? readFileInto(cached, into) : readFile(cached)).catch(() => undefined);
    if (hit && this.matches(ref, hit)) return hit;
    if (hit) await unlink(cached).catch(() => undefined);
    const bytes = this.check(ref, await this.store.get(key));
    await mkdir(this.cacheDir!, { recursive: true });
    const temp = join(this.cacheDir!, `.w2s-tmp-${process.pid}-${++tempCounter}-${ref.sha256}`);
    await writeFile(temp, bytes);
    await rename(temp, cached);
    return bytes;
  }

  private readStore(key: string, into: ReadBuffer | undefined): Promise<Uint8Array> {
    return into && this.store instanceof LocalStore ? this.store.getInto(key, into) : this.store.get(key);
  }

  private check(ref: ObjectRef, bytes: Uint8Array): Uint8Array {
    if (!this.matches(ref, bytes)) {
      throw new BadInputError(this.store.uriOf(ref.key), `content has sha256 ${sha256Hex(bytes)} (${bytes.length} bytes), the manifest pins ${ref.sha256} (${ref.bytes} bytes)`);
    }
    return bytes;
  }

  /** Hashes each shard once per fetcher; later epochs trust what was checked. */
  private matches(ref: ObjectRef, bytes: Uint8Array): boolean {
    const seen = `${ref.key}#${ref.sha256}`;
    if (this.verified.has(seen)) return true;
    if (bytes.length !== ref.bytes || sha256Hex(bytes) !== ref.sha256) return false;
    this.verified.add(seen);
    return true;
  }
}
