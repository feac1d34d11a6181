/**
 * Writing and reading the objects stages record by reference. (Stores by
 * root are a stage dependency: see ./deps.ts.)
 */
import { BadInputError } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import type { ObjectRef } from '../schemas/stages.js';
import type { ObjectStore } from '../storage/object-store.js';

/** Writes a write-once object and returns its reference. */
export async function putObject(store: ObjectStore, key: string, data: Uint8Array | string, contentType?: string): Promise<ObjectRef> {
  const info = await store.put(key, data, contentType ? { contentType } : {});
  return { key: info.key, sha256: info.sha256, bytes: info.size };
}

/**
 * A reference as persisted: `key` today; objects written before references
 * became storage-relative hold an absolute `uri`, read here as a key of this
 * store (a BadInputError when the URI is outside it).
 */
export function storedRef(store: ObjectStore, ref: ObjectRef | (Omit<ObjectRef, 'key'> & { readonly uri: string })): ObjectRef {
  if ('key' in ref) return ref;
  const { uri, ...rest } = ref;
  return { ...rest, key: store.keyOf(uri) };
}

/** Reads the object a reference names, refusing it if its content is not what the reference pinned. */
export async function getVerified(store: ObjectStore, ref: ObjectRef, what: string): Promise<Uint8Array> {
  const data = await store.get(ref.key);
  const actual = sha256Hex(data);
  if (actual !== ref.sha256) {
    throw new BadInputError(store.uriOf(ref.key), `${what} changed after it was written: its sha256 is ${actual}, the run recorded ${ref.sha256}`);
  }
  return data;
}
