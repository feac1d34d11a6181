/**
 * The stage cache over a storage root shared by many runs. Filling it is
 * idempotent under races: outputs are copied to content-addressed keys
 * (same bytes, same key), and the entry, a pure function of its key, is a
 * pointer written with a precondition, so the first valid writer wins and
 * a later one finds its work already there. An entry whose objects are
 * missing or changed is a miss, and the next fill replaces it.
 */
import { extname } from 'node:path/posix';
import { canonicalJson, sha256Hex } from '../core/hash.js';
import { CACHE_ENTRY_VERSION, CacheEntrySchema, type CacheEntry, type CachedObject } from '../schemas/cache.js';
import type { LineageObject } from '../schemas/lineage.js';
import { ObjectConflictError, ObjectNotFoundError } from '../storage/errors.js';
import { cacheEntryKey, isSharedObjectKey, sharedObjectKey } from '../storage/layout.js';
import type { ObjectStore } from '../storage/object-store.js';
import { getVerified } from './stores.js';

type Fields = Readonly<Record<string, unknown>>;

export interface CacheHit {
  /** The cached output fields, object references pointing at the shared objects of this store. */
  readonly result: Fields;
  readonly outputs: readonly LineageObject[];
}

/** The entry for `cacheKey` when it is well-formed and every object it names is intact; else undefined (a miss). */
export async function readCache(store: ObjectStore, cacheKey: string): Promise<CacheHit | undefined> {
  const current = await store.readPointer(cacheEntryKey(cacheKey));
  if (!current) return undefined;
  const entry = await intactEntry(store, current.data, cacheKey);
  if (!entry) return undefined;
  const byKey = new Map(entry.objects.map((o) => [o.key, o]));
  const result = mapObjectRefs(entry.result, (ref) => {
    const object = byKey.get(ref.key);
    if (!object || object.sha256 !== ref.sha256) throw new Error(`cache entry ${cacheKey} names ${ref.key}, which is not one of its objects`);
    return object.key;
  }) as Fields;
  const outputs = entry.objects.map((o) => ({ key: o.key, sha256: o.sha256, bytes: o.bytes, role: o.role }));
  return { result, outputs };
}

/**
 * Records a computed output: copies each output object to its shared key,
 * then writes the entry unless a valid one is already there. `runSpecific`
 * names the output fields that are not a function of the key (timings,
 * names the config does not fix); they stay out of the entry, as does `cached`.
 */
export async function fillCache(store: ObjectStore, cacheKey: string, output: Fields, outputs: readonly LineageObject[], runSpecific: readonly string[]): Promise<void> {
  const objects: CachedObject[] = [];
  for (const object of outputs) {
    const key = sharedObjectKey(object.sha256, extname(object.key).toLowerCase());
    await putShared(store, key, await getVerified(store, object, object.role));
    objects.push({ key, sha256: object.sha256, bytes: object.bytes, role: object.role });
  }
  const bySha = new Map(objects.map((o) => [o.sha256, o.key]));
  const kept = Object.fromEntries(Object.entries(output).filter(([field]) => field !== 'cached' && !runSpecific.includes(field)));
  const result = mapObjectRefs(kept, (ref) => {
    const key = bySha.get(ref.sha256);
    if (!key) throw new Error(`stage output names ${ref.key}, which is not one of its outputs: a cache entry cannot refer to it`);
    return key;
  }) as Fields;
  const entry: CacheEntry = { version: CACHE_ENTRY_VERSION, cacheKey, objects, result };
  await writeEntry(store, cacheKey, canonicalJson(entry));
}

/** Writes the entry unless a valid one is there; replaces a broken one under a precondition, so racing writers settle on one. */
async function writeEntry(store: ObjectStore, cacheKey: string, bytes: string): Promise<void> {
  const key = cacheEntryKey(cacheKey);
  // Each lost race means another writer just wrote the entry; re-reading it settles the question, so a few rounds suffice.
  for (let round = 0; round < 5; round += 1) {
    const current = await store.readPointer(key);
    if (current && (new TextDecoder().decode(current.data) === bytes || (await intactEntry(store, current.data, cacheKey)))) return;
    try {
      await store.writePointer(key, bytes, current?.version ?? null);
      return;
    } catch (error) {
      if ((error as Error).name !== 'PreconditionFailedError') throw error;
    }
  }
  throw new Error(`cache entry ${key} kept changing under 5 writes in a row`);
}

/** Stores a content-addressed object; a different object under its key is corrupt by definition (the key names the content), so it is replaced. */
async function putShared(store: ObjectStore, key: string, data: Uint8Array): Promise<void> {
  try {
    await store.put(key, data, { contentType: 'application/octet-stream' });
  } catch (error) {
    if (!(error instanceof ObjectConflictError)) throw error;
    await store.delete(key);
    await store.put(key, data, { contentType: 'application/octet-stream' });
  }
}

async function intactEntry(store: ObjectStore, data: Uint8Array, cacheKey: string): Promise<CacheEntry | undefined> {
  let entry: CacheEntry;
  try {
    const parsed = CacheEntrySchema.safeParse(JSON.parse(new TextDecoder().decode(data)));
    if (!parsed.success) return undefined; // an older format or a damaged file: recompute and replace it
    entry = parsed.data;
  } catch {
    return undefined;
  }
  if (entry.cacheKey !== cacheKey) return undefined;
  for (const object of entry.objects) {
    if (!isSharedObjectKey(object.key)) return undefined;
    // The bytes, not stored metadata: a replaced or truncated object can keep its old metadata.
    const bytes = await store.get(object.key).catch((error: unknown) => {
      if (error instanceof ObjectNotFoundError) return undefined;
      throw error;
    });
    if (!bytes || bytes.length !== object.bytes || sha256Hex(bytes) !== object.sha256) return undefined;
  }
  return entry;
}

interface RefLike {
  readonly key: string;
  readonly sha256: string;
}

/** Copies a JSON value, replacing the `key` of every object reference (anything with `key` and `sha256`). */
function mapObjectRefs(value: unknown, replace: (ref: RefLike) => string): unknown {
  if (Array.isArray(value)) return value.map((item) => mapObjectRefs(item, replace));
  if (value === null || typeof value !== 'object') return value;
  const copy: Record<string, unknown> = {};
  for (const [field, member] of Object.entries(value)) copy[field] = mapObjectRefs(member, replace);
  if (typeof copy.key === 'string' && typeof copy.sha256 === 'string') copy.key = replace(copy as unknown as RefLike);
  return copy;
}
