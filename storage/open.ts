/**
 * `openStore(uri)`: a path or `file://` URI opens a local folder, and
 * `gs://bucket/prefix` opens GCS (an emulator when STORAGE_EMULATOR_HOST or
 * `gcs.emulatorHost` is set).
 */
import { GcsStore, type GcsStoreOptions } from './gcs/store.js';
import { LocalStore } from './local.js';
import type { ObjectStore } from './object-store.js';
import { parseStorageUri } from './uri.js';

export interface OpenStoreOptions {
  readonly gcs?: GcsStoreOptions;
}

export function openStore(uri: string, options: OpenStoreOptions = {}): ObjectStore {
  const location = parseStorageUri(uri);
  return location.kind === 'local' ? new LocalStore(location.root) : new GcsStore(location.bucket, location.prefix, options.gcs);
}
