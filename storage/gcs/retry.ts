/**
 * One retry policy for every GCS call, handed to the client (its
 * `retryOptions`) and used by w2s's own resumable uploads, so what is
 * retried and for how long is written down in one place.
 *
 * Retried: 408, 429 and 5xx answers, and connection trouble (reset,
 * refused, timed out, DNS), which covers a server restarting mid-upload.
 * Not retried: other 4xx, including 412 (a precondition is an answer).
 */
import { IdempotencyStrategy, RETRYABLE_ERR_FN_DEFAULT, type StorageOptions } from '@google-cloud/storage';
import { setTimeout as delay } from 'node:timers/promises';

export interface GcsRetryPolicy {
  readonly maxRetries: number;
  /** Each wait is `multiplier` times the previous one, starting at one second, capped at `maxDelaySeconds`. */
  readonly multiplier: number;
  readonly maxDelaySeconds: number;
  /** Give up once this much time has passed since the first attempt. */
  readonly totalTimeoutSeconds: number;
}

export const DEFAULT_GCS_RETRY: GcsRetryPolicy = { maxRetries: 8, multiplier: 2, maxDelaySeconds: 32, totalTimeoutSeconds: 600 };

const TRANSIENT_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

export function isTransientStatus(status: number): boolean {
  return TRANSIENT_STATUS.has(status);
}

/** True for errors worth another attempt: the client's own list plus refused connections. */
export function isTransientGcsError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message, cause } = error as { code?: unknown; message?: unknown; cause?: unknown };
  if (typeof code === 'number' && isTransientStatus(code)) return true;
  if (typeof code === 'string' && (TRANSIENT_CODES.has(code.toUpperCase()) || isTransientStatus(Number(code)))) return true;
  if (typeof message === 'string' && /ECONNREFUSED|ECONNRESET|socket hang up|fetch failed|other side closed/i.test(message)) return true;
  if (cause !== undefined && cause !== error && isTransientGcsError(cause)) return true;
  return RETRYABLE_ERR_FN_DEFAULT(error as Parameters<typeof RETRYABLE_ERR_FN_DEFAULT>[0]);
}

/** The policy in the client's own terms. */
export function clientRetryOptions(policy: GcsRetryPolicy): NonNullable<StorageOptions['retryOptions']> {
  return {
    autoRetry: true,
    maxRetries: policy.maxRetries,
    retryDelayMultiplier: policy.multiplier,
    maxRetryDelay: policy.maxDelaySeconds,
    totalTimeout: policy.totalTimeoutSeconds,
    // Only calls that are safe to repeat: reads, and writes guarded by a generation precondition.
    idempotencyStrategy: IdempotencyStrategy.RetryConditional,
    retryableErrorFn: isTransientGcsError,
  };
}

/** Runs `attempt` until it succeeds, fails for good, or the policy is spent. */
export async function withRetries<T>(policy: GcsRetryPolicy, attempt: (retry: number) => Promise<T>, isRetryable = isTransientGcsError): Promise<T> {
  const started = Date.now();
  for (let retry = 0; ; retry++) {
    try {
      return await attempt(retry);
    } catch (error) {
      const waitMs = Math.min(policy.multiplier ** retry, policy.maxDelaySeconds) * 1000;
      const spent = Date.now() - started + waitMs > policy.totalTimeoutSeconds * 1000;
      if (!isRetryable(error) || retry >= policy.maxRetries || spent) throw error;
      await delay(waitMs);
    }
  }
}
