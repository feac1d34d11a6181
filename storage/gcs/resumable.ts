/**
 * GCS resumable uploads (JSON API), for objects too large to send in one
 * request. The data comes from a buffer or a file and is sent in chunks;
 * after a transient failure the upload asks the server how much it holds
 * and continues from there, and if the server no longer knows the session
 * (404/410, e.g. it restarted) it starts a new one. The object only appears
 * when the last chunk lands, under the generation precondition given at the
 * start, so a half-finished upload is never visible.
 */
import type { FileHandle } from 'node:fs/promises';
import { isTransientStatus, withRetries, type GcsRetryPolicy } from './retry.js';

/** Where the bytes come from: any range can be read again, so an upload can resume anywhere. */
export interface UploadSource {
  readonly size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

export function bufferSource(bytes: Uint8Array): UploadSource {
  return { size: bytes.length, read: async (offset, length) => bytes.subarray(offset, offset + length) };
}

export function fileSource(handle: FileHandle, size: number): UploadSource {
  return {
    size,
    read: async (offset, length) => {
      const out = new Uint8Array(length);
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await handle.read(out, filled, length - filled, offset + filled);
        if (bytesRead === 0) throw new Error(`file shrank while uploading: expected ${size} bytes`);
        filled += bytesRead;
      }
      return out;
    },
  };
}

export interface ResumableUploadRequest {
  /** `https://storage.googleapis.com` or an emulator's URL. */
  readonly apiEndpoint: string;
  readonly bucket: string;
  readonly name: string;
  readonly contentType: string;
  /** Custom object metadata (w2s stores `sha256` here). */
  readonly metadata: Readonly<Record<string, string>>;
  /** `0`: only create; a generation: only replace that generation. */
  readonly ifGenerationMatch: number;
  /** Multiple of 256 KiB. */
  readonly chunkBytes: number;
  readonly retry: GcsRetryPolicy;
  /** Authorization headers for each request (none against an emulator). */
  readonly authHeaders: () => Promise<Record<string, string>>;
  readonly onProgress?: (bytesSent: number, totalBytes: number) => void | Promise<void>;
}

/** An HTTP answer that ends the upload for good (4xx other than a lost session). */
export class UploadRejectedError extends Error {
  override readonly name = 'UploadRejectedError';
  constructor(
    readonly status: number,
    readonly body: string,
    readonly objectName: string,
  ) {
    super(`GCS resumable upload of ${objectName} rejected with HTTP ${status}: ${body.slice(0, 300)}`);
  }
}

/** A transient HTTP answer, carried as an error so the retry loop sees its status. */
class TransientHttpError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

class SessionLostError extends Error {}

/** Uploads `source`; returns the object resource GCS answered with. */
export async function resumableUpload(request: ResumableUploadRequest, source: UploadSource): Promise<Record<string, unknown>> {
  if (request.chunkBytes <= 0 || request.chunkBytes % (256 * 1024) !== 0) {
    throw new RangeError(`chunk size must be a positive multiple of 256 KiB, got ${request.chunkBytes}`);
  }
  let session: string | undefined;
  let offset = 0;
  return withRetries(
    request.retry,
    async (retry) => {
      if (session === undefined) {
        session = await startSession(request, source.size);
        offset = 0;
      } else if (retry > 0) {
        const status = await queryOffset(request, session, source.size).catch((error: unknown) => {
          if (error instanceof SessionLostError) session = undefined;
          throw error;
        });
        if (status.done) return status.resource;
        offset = status.offset;
      }
      try {
        return await sendFrom(request, session, source, offset, (next) => {
          offset = next;
        });
      } catch (error) {
        if (error instanceof SessionLostError) session = undefined;
        throw error;
      }
    },
    (error) => error instanceof SessionLostError || error instanceof TransientHttpError || isNetworkError(error),
  );
}

async function startSession(request: ResumableUploadRequest, size: number): Promise<string> {
  const url = new URL(`${request.apiEndpoint}/upload/storage/v1/b/${encodeURIComponent(request.bucket)}/o`);
  url.searchParams.set('uploadType', 'resumable');
  url.searchParams.set('name', request.name);
  url.searchParams.set('ifGenerationMatch', String(request.ifGenerationMatch));
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      ...(await request.authHeaders()),
      'content-type': 'application/json; charset=UTF-8',
      'x-upload-content-type': request.contentType,
      'x-upload-content-length': String(size),
    },
    body: JSON.stringify({ name: request.name, contentType: request.contentType, metadata: request.metadata }),
  });
  await failUnlessOk(response, request.name, [200, 201], false);
  const location = response.headers.get('location');
  if (!location) throw new UploadRejectedError(response.status, 'no Location header in the session answer', request.name);
  return location;
}

/** Sends the chunks from `offset` to the end; returns the final object resource. */
async function sendFrom(
  request: ResumableUploadRequest,
  session: string,
  source: UploadSource,
  offset: number,
  advanced: (offset: number) => void,
): Promise<Record<string, unknown>> {
  for (;;) {
    const length = Math.min(request.chunkBytes, source.size - offset);
    const chunk = await source.read(offset, length);
    const range = length === 0 ? `bytes */${source.size}` : `bytes ${offset}-${offset + length - 1}/${source.size}`;
    const response = await fetch(session, {
      method: 'PUT',
      headers: { ...(await request.authHeaders()), 'content-length': String(length), 'content-range': range },
      body: chunk,
    });
    if (response.status === 308) {
      await response.arrayBuffer();
      offset = receivedUpTo(response);
      advanced(offset);
      await request.onProgress?.(offset, source.size);
      continue;
    }
    await failUnlessOk(response, request.name, [200, 201]);
    const resource = (await response.json()) as Record<string, unknown>;
    await request.onProgress?.(source.size, source.size);
    return resource;
  }
}

async function queryOffset(
  request: ResumableUploadRequest,
  session: string,
  size: number,
): Promise<{ done: false; offset: number } | { done: true; resource: Record<string, unknown> }> {
  const response = await fetch(session, {
    method: 'PUT',
    headers: { ...(await request.authHeaders()), 'content-length': '0', 'content-range': `bytes */${size}` },
  });
  if (response.status === 308) {
    await response.arrayBuffer();
    return { done: false, offset: receivedUpTo(response) };
  }
  await failUnlessOk(response, request.name, [200, 201]);
  return { done: true, resource: (await response.json()) as Record<string, unknown> };
}

/** The next byte the server wants, from `Range: bytes=0-N` (absent: nothing received yet). */
function receivedUpTo(response: Response): number {
  const range = response.headers.get('range');
  const match = range ? /bytes=0-(\d+)/.exec(range) : null;
  return match?.[1] !== undefined ? Number(match[1]) + 1 : 0;
}

async function failUnlessOk(response: Response, name: string, ok: readonly number[], inSession = true): Promise<void> {
  if (ok.includes(response.status)) return;
  const body = await response.text().catch(() => '');
  if (inSession && (response.status === 404 || response.status === 410)) throw new SessionLostError(`upload session for ${name} is gone (HTTP ${response.status})`);
  if (isTransientStatus(response.status)) throw new TransientHttpError(response.status, `HTTP ${response.status} uploading ${name}: ${body.slice(0, 200)}`);
  throw new UploadRejectedError(response.status, body, name);
}

/** fetch reports connection failures as a TypeError whose cause carries the socket error. */
function isNetworkError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'TypeError' && /fetch failed/.test(error.message)) return true;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^(E[A-Z]+|UND_ERR_\w+)$/.test(code);
}
