/**
 * Google Cloud Storage as an object store, through @google-cloud/storage.
 *
 * - Write-once: every data write carries `ifGenerationMatch: 0`; a 412 means
 *   the key exists, and the write still succeeds when the stored sha256
 *   equals ours (a retried activity), else it is an ObjectConflictError.
 * - Pointers: `ifGenerationMatch: <generation read>`; the generation is the version.
 * - sha256 lives in the object's custom metadata, so `stat` needs no download.
 * - Objects above `resumableThresholdBytes` go through resumable uploads.
 * - Retries: one explicit policy (gcs/retry.ts) for the client and the uploads.
 * - Credentials: Google's application-default chain; `emulatorHost` (or
 *   STORAGE_EMULATOR_HOST) points everything at an emulator without auth.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { Storage, type Bucket, type File } from '@google-cloud/storage';
import { BadInputError } from '../../core/errors.js';
import { sha256Hex } from '../../core/hash.js';
import { ObjectConflictError, ObjectNotFoundError, PreconditionFailedError } from '../errors.js';
import type { ObjectInfo, ObjectStore, PointerValue, PutOptions } from '../object-store.js';
import { checkKey, checkPrefix, joinKey } from '../uri.js';
import { bufferSource, fileSource, resumableUpload, type UploadSource } from './resumable.js';
import { clientRetryOptions, DEFAULT_GCS_RETRY, withRetries, type GcsRetryPolicy } from './retry.js';

export interface GcsStoreOptions {
  /** `http://host:port` of an emulator; defaults to STORAGE_EMULATOR_HOST. */
  readonly emulatorHost?: string;
  readonly projectId?: string;
  readonly retry?: Partial<GcsRetryPolicy>;
  /** Objects larger than this use a resumable upload (default 8 MiB). */
  readonly resumableThresholdBytes?: number;
  /** Resumable chunk size, a multiple of 256 KiB (default 8 MiB). */
  readonly chunkBytes?: number;
}

const GOOGLE_ENDPOINT = 'https://storage.googleapis.com';
const DEFAULT_CONTENT_TYPE = 'application/octet-stream';
const LIST_PAGE = 1000;

export class GcsStore implements ObjectStore {
  readonly uri: string;
  readonly retry: GcsRetryPolicy;
  private readonly storage: Storage;
  private readonly bucket: Bucket;
  private readonly apiEndpoint: string;
  private readonly emulated: boolean;
  private readonly resumableThreshold: number;
  private readonly chunkBytes: number;

  constructor(
    readonly bucketName: string,
    readonly prefix: string,
    options: GcsStoreOptions = {},
  ) {
    this.uri = `gs://${bucketName}${prefix === '' ? '' : `/${prefix}`}`;
    this.retry = { ...DEFAULT_GCS_RETRY, ...options.retry };
    const emulatorHost = options.emulatorHost ?? process.env.STORAGE_EMULATOR_HOST;
    this.emulated = emulatorHost !== undefined && emulatorHost !== '';
    this.apiEndpoint = this.emulated ? withScheme(emulatorHost as string) : GOOGLE_ENDPOINT;
    this.storage = new Storage({
      ...(this.emulated ? { apiEndpoint: this.apiEndpoint } : {}),
      ...(options.projectId !== undefined ? { projectId: options.projectId } : {}),
      retryOptions: clientRetryOptions(this.retry),
    });
    // The client takes its JSON API base from STORAGE_EMULATOR_HOST verbatim (no
    // `/storage/v1`) and ignores a different `apiEndpoint`; pin it to the endpoint in use.
    if (this.emulated) this.storage.baseUrl = `${this.apiEndpoint}/storage/v1`;
    this.bucket = this.storage.bucket(bucketName);
    this.resumableThreshold = options.resumableThresholdBytes ?? 8 << 20;
    this.chunkBytes = options.chunkBytes ?? 8 << 20;
  }

  uriOf(key: string): string {
    return `gs://${this.bucketName}/${this.objectName(key)}`;
  }

  keyOf(uri: string): string {
    const root = `${this.uri}/`;
    if (!uri.startsWith(root)) throw new BadInputError(`URI ${uri}`, `is not inside the storage root ${this.uri}`);
    return checkKey(uri.slice(root.length));
  }

  async put(key: string, data: Uint8Array | string, options: PutOptions = {}): Promise<ObjectInfo> {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    return this.writeOnce(key, sha256Hex(bytes), bufferSource(bytes), options);
  }

  async putFile(key: string, path: string, options: PutOptions = {}): Promise<ObjectInfo> {
    const handle = await open(path, 'r');
    try {
      const size = (await handle.stat()).size;
      const hash = createHash('sha256');
      for await (const chunk of handle.createReadStream({ start: 0, autoClose: false, highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
      return await this.writeOnce(key, hash.digest('hex'), fileSource(handle, size), options);
    } finally {
      await handle.close();
    }
  }

  async get(key: string): Promise<Uint8Array> {
    try {
      const [data] = await this.file(key).download();
      return data;
    } catch (error) {
      throw this.translate(error, key);
    }
  }

  async stream(key: string): Promise<Readable> {
    await this.stat(key);
    return this.file(key).createReadStream();
  }

  async list(prefix: string): Promise<string[]> {
    checkPrefix(prefix);
    const rootLength = this.prefix === '' ? 0 : this.prefix.length + 1;
    const fullPrefix = this.prefix === '' ? prefix : `${this.prefix}/${prefix}`;
    const keys: string[] = [];
    let pageToken: string | undefined;
    do {
      const [files, next] = await this.bucket.getFiles({ prefix: fullPrefix, autoPaginate: false, maxResults: LIST_PAGE, ...(pageToken ? { pageToken } : {}) }).catch((error: unknown) => {
        throw this.bucketMissing(error) ?? error;
      });
      for (const file of files) keys.push(file.name.slice(rootLength));
      pageToken = (next as { pageToken?: string } | null)?.pageToken;
    } while (pageToken);
    return keys.sort();
  }

  async exists(key: string): Promise<boolean> {
    const [exists] = await this.file(key).exists();
    return exists;
  }

  async stat(key: string): Promise<ObjectInfo> {
    let metadata;
    try {
      [metadata] = await this.file(key).getMetadata();
    } catch (error) {
      throw this.translate(error, key);
    }
    const size = Number(metadata.size);
    const stored = metadata.metadata?.sha256;
    const sha256 = typeof stored === 'string' ? stored : await this.hashRemote(key);
    return { key, uri: this.uriOf(key), size, sha256 };
  }

  async delete(key: string): Promise<void> {
    await withRetries(this.retry, () => this.file(key).delete({ ignoreNotFound: true }));
  }

  async readPointer(key: string): Promise<PointerValue | undefined> {
    // Read the generation, then exactly that generation's bytes; if it was
    // replaced in between, read again.
    for (;;) {
      let generation: string;
      try {
        const [metadata] = await this.file(key).getMetadata();
        generation = String(metadata.generation);
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw error;
      }
      try {
        const [data] = await this.bucket.file(this.objectName(key), { generation: Number(generation) }).download();
        return { data, version: generation };
      } catch (error) {
        if (statusOf(error) !== 404) throw error;
      }
    }
  }

  async writePointer(key: string, data: Uint8Array | string, expectedVersion: string | null): Promise<PointerValue> {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    const file = this.file(key);
    try {
      await file.save(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
        resumable: false,
        preconditionOpts: { ifGenerationMatch: expectedVersion === null ? 0 : Number(expectedVersion) },
        metadata: { contentType: 'application/json', metadata: { sha256: sha256Hex(bytes) } },
      });
    } catch (error) {
      // An upload answered 404 has no bucket to go to.
      if (statusOf(error) === 404) throw this.bucketMissing(error) ?? error;
      if (statusOf(error) !== 412) throw error;
      const current = await this.readPointer(key);
      // A retry of our own write that had landed, or another writer with the same bytes.
      if (current && Buffer.compare(Buffer.from(current.data), Buffer.from(bytes)) === 0) return current;
      throw new PreconditionFailedError(this.uriOf(key), expectedVersion, current?.version ?? null);
    }
    return { data: bytes, version: String(file.metadata.generation) };
  }

  private async writeOnce(key: string, sha256: string, source: UploadSource, options: PutOptions): Promise<ObjectInfo> {
    const name = this.objectName(key);
    const contentType = options.contentType ?? DEFAULT_CONTENT_TYPE;
    try {
      if (source.size > this.resumableThreshold) {
        await resumableUpload(
          {
            apiEndpoint: this.apiEndpoint,
            bucket: this.bucketName,
            name,
            contentType,
            metadata: { sha256 },
            ifGenerationMatch: 0,
            chunkBytes: this.chunkBytes,
            retry: this.retry,
            authHeaders: () => this.authHeaders(),
            ...(options.onProgress ? { onProgress: options.onProgress } : {}),
          },
          source,
        );
      } else {
        const bytes = await source.read(0, source.size);
        await this.file(key).save(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
          resumable: false,
          preconditionOpts: { ifGenerationMatch: 0 },
          metadata: { contentType, metadata: { sha256 } },
        });
        await options.onProgress?.(source.size, source.size);
      }
    } catch (error) {
      // An upload answered 404 has no bucket to go to.
      if (statusOf(error) === 404) throw this.bucketMissing(error) ?? error;
      if (statusOf(error) !== 412) throw error;
      const existing = await this.stat(key);
      if (existing.sha256 !== sha256 || existing.size !== source.size) throw new ObjectConflictError(this.uriOf(key), existing.sha256, sha256);
    }
    return { key, uri: this.uriOf(key), size: source.size, sha256 };
  }

  private async hashRemote(key: string): Promise<string> {
    const hash = createHash('sha256');
    for await (const chunk of this.file(key).createReadStream()) hash.update(chunk as Buffer);
    return hash.digest('hex');
  }

  private async authHeaders(): Promise<Record<string, string>> {
    if (this.emulated) return {};
    return (await this.storage.authClient.getRequestHeaders()) as Record<string, string>;
  }

  private file(key: string): File {
    return this.bucket.file(this.objectName(key));
  }

  private objectName(key: string): string {
    return joinKey(this.prefix, checkKey(key));
  }

  /**
   * A 404 where only the bucket can be missing (a listing, an upload): an
   * answer, not an accident, so a BadInputError naming the bucket rather
   * than the client's bare `Not Found` (which would be retried).
   */
  private bucketMissing(error: unknown): BadInputError | undefined {
    if (statusOf(error) !== 404) return undefined;
    return new BadInputError(`gs://${this.bucket.name}`, 'no such bucket (or no access to it); create it, or check the bucket name in the storage root or source', { cause: error });
  }

  private translate(error: unknown, key: string): Error {
    if (statusOf(error) === 404) return new ObjectNotFoundError(this.uriOf(key));
    return error instanceof Error ? error : new Error(String(error));
  }
}

/** The HTTP status of a client error (ApiError.code) or of our upload errors. */
function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, status } = error as { code?: unknown; status?: unknown };
  if (typeof code === 'number') return code;
  if (typeof status === 'number') return status;
  return undefined;
}

function withScheme(host: string): string {
  return (/^https?:\/\//.test(host) ? host : `http://${host}`).replace(/\/+$/, '');
}
