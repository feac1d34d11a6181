/**
 * The one storage interface, implemented by a local folder and by GCS.
 *
 * Keys are relative POSIX paths under the store's root (`datasets/<id>/manifest.json`).
 * Data objects are write-once: `put` refuses different content under an
 * existing key but accepts byte-identical content, so a retried activity is
 * idempotent. Only pointers (`latest.json`, registry entries) change, and
 * only through `writePointer` with the version the writer last read.
 */
import type { Readable } from 'node:stream';

export interface ObjectInfo {
  readonly key: string;
  readonly uri: string;
  readonly size: number;
  readonly sha256: string;
}

export interface PointerValue {
  readonly data: Uint8Array;
  /** Opaque version for the next compare-and-swap (a GCS generation, a local content hash). */
  readonly version: string;
}

export interface PutOptions {
  readonly contentType?: string;
  /** Called as bytes reach the backend (large uploads: for heartbeats and progress bars). */
  readonly onProgress?: (bytesSent: number, totalBytes: number) => void | Promise<void>;
}

export interface ObjectStore {
  /** The root URI: `file:///…` or `gs://bucket/prefix`. */
  readonly uri: string;
  /** URI of a key under this root. */
  uriOf(key: string): string;
  /** Key of a URI under this root (the inverse of `uriOf`). */
  keyOf(uri: string): string;

  /** Write-once: stores the bytes, or succeeds if the same bytes are already there. */
  put(key: string, data: Uint8Array | string, options?: PutOptions): Promise<ObjectInfo>;
  /** `put` for a local file, streamed (large objects: checkpoints, archives). */
  putFile(key: string, path: string, options?: PutOptions): Promise<ObjectInfo>;
  get(key: string): Promise<Uint8Array>;
  stream(key: string): Promise<Readable>;
  /** Keys starting with `prefix` (a plain string prefix, as in GCS), sorted. */
  list(prefix: string): Promise<string[]>;
  exists(key: string): Promise<boolean>;
  /** Size and sha256 without reading the object where the backend keeps them. */
  stat(key: string): Promise<ObjectInfo>;
  /** Removes an object; absent objects are fine. */
  delete(key: string): Promise<void>;

  /** The pointer's content and version, or undefined when it does not exist. */
  readPointer(key: string): Promise<PointerValue | undefined>;
  /**
   * Replaces the pointer only if its version is still `expectedVersion`
   * (`null`: only if it does not exist yet). Throws PreconditionFailedError
   * when another writer got there first, unless that writer wrote exactly
   * these bytes.
   */
  writePointer(key: string, data: Uint8Array | string, expectedVersion: string | null): Promise<PointerValue>;
}
