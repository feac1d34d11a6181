/**
 * Storage URIs and keys. A plain path or `file://` URI is a local folder;
 * `gs://bucket/prefix` is GCS. Keys are checked here once for every backend,
 * so no name can climb out of the root (`..`) or jump elsewhere (`/etc/…`).
 */
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BadInputError } from '../core/errors.js';

export type StorageLocation =
  | { readonly kind: 'local'; readonly root: string }
  | { readonly kind: 'gcs'; readonly bucket: string; readonly prefix: string };

const BUCKET_NAME = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;

export function parseStorageUri(uri: string): StorageLocation {
  const where = `storage URI "${uri}"`;
  if (uri.trim() === '') throw new BadInputError(where, 'is empty; give a folder, file:// URI or gs://bucket/prefix');
  if (uri.startsWith('gs://')) {
    const rest = uri.slice('gs://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash === -1 ? rest : rest.slice(0, slash);
    if (!BUCKET_NAME.test(bucket)) throw new BadInputError(where, `"${bucket}" is not a valid GCS bucket name`);
    const prefix = slash === -1 ? '' : rest.slice(slash + 1).replace(/\/+$/, '');
    if (prefix !== '') checkKey(prefix, where);
    return { kind: 'gcs', bucket, prefix };
  }
  if (uri.startsWith('file:')) {
    try {
      return { kind: 'local', root: fileURLToPath(uri) };
    } catch (error) {
      throw new BadInputError(where, `is not a valid file URI (${(error as Error).message})`);
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) {
    throw new BadInputError(where, 'unsupported scheme; use a folder, file:// URI or gs://bucket/prefix');
  }
  return { kind: 'local', root: resolve(uri) };
}

/**
 * The root as an absolute URI (`file:///abs/path` or `gs://bucket/prefix`):
 * a relative folder is resolved against `cwd` here, once, so every process
 * that later receives the URI names the same place whatever its own folder.
 */
export function absoluteStorageUri(uri: string, cwd: string = process.cwd()): string {
  const location = parseStorageUri(uri);
  if (location.kind === 'gcs') return `gs://${location.bucket}${location.prefix === '' ? '' : `/${location.prefix}`}`;
  const root = uri.startsWith('file:') ? location.root : resolve(cwd, uri);
  return pathToFileURL(root).href.replace(/\/$/, '');
}

/** The URI of `key` under the root `root`, without opening a store. */
export function objectUri(root: string, key: string): string {
  checkKey(key);
  const location = parseStorageUri(root);
  if (location.kind === 'gcs') return `gs://${location.bucket}/${joinKey(location.prefix, key)}`;
  return pathToFileURL(join(location.root, key)).href;
}

/**
 * Throws unless `key` is a relative path of plain names: no empty, `.` or
 * `..` segments, no leading slash, no backslashes or NUL bytes.
 */
export function checkKey(key: string, where = `storage key "${key}"`): string {
  if (key === '') throw new BadInputError(where, 'is empty');
  if (isAbsolute(key) || key.startsWith('/')) throw new BadInputError(where, 'is an absolute path; keys are relative to the storage root');
  if (key.includes('\\') || key.includes('\0')) throw new BadInputError(where, 'contains a backslash or NUL byte');
  for (const segment of key.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw new BadInputError(where, `has a "${segment}" path segment; keys must stay inside the storage root`);
    }
  }
  return key;
}

/** A list prefix: like a key, but may be empty or end with `/`. */
export function checkPrefix(prefix: string): string {
  if (prefix === '') return prefix;
  checkKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix, `storage prefix "${prefix}"`);
  return prefix;
}

/** Joins key parts with `/`, skipping empty ones. */
export function joinKey(...parts: ReadonlyArray<string>): string {
  return parts.filter((part) => part !== '').join('/');
}
