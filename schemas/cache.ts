/**
 * A stage cache entry (`cache/<key>.json`): only what is a pure function of
 * the stage's cache key, so two runs that compute the same stage write the
 * same bytes. Object references are storage-relative keys of shared,
 * content-addressed objects (`objects/<sha256>.<ext>`), never a run's URIs.
 */
import { z } from 'zod';

export const CACHE_ENTRY_VERSION = 3;

export const CachedObjectSchema = z.object({
  key: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
  role: z.string(),
});

export const CacheEntrySchema = z.object({
  version: z.literal(CACHE_ENTRY_VERSION),
  cacheKey: z.string(),
  objects: z.array(CachedObjectSchema),
  /** The stage's output without its run-specific fields; its object references hold shared keys in `key`. */
  result: z.record(z.string(), z.unknown()),
});

export type CachedObject = z.infer<typeof CachedObjectSchema>;
export type CacheEntry = z.infer<typeof CacheEntrySchema>;
