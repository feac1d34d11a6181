/**
 * Object stores by root URI, opened once per process: a GCS client keeps its
 * connection pool and credentials, so activities must not build one per call.
 */
import { BadInputError } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import type { ObjectRef } from '../schemas/stages.js';
import type { ObjectStore } from '../storage/object-store.js';
import { openStore } from '../storage/open.js';

const stores = new Map<string, ObjectStore>();

export function storeAt(root: string): ObjectStore {
  let store = stores.get(root);
  if (!store) {
    store = openStore(root);
    stores.set(root, store);
  }
  return store;
}

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
