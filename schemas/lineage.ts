/**
 * One lineage record per stage attempt that finishes (also on a cache hit,
 * and on failure), stored at `lineage/<runId>/<stage>-<attempt>.json`.
 * `w2s lineage` prints them as a graph, exports them as OpenLineage run
 * events, and `w2s verify` recomputes every hash they name.
 */
import { z } from 'zod';

export const LineageObjectSchema = z
  .object({
    /** Relative to the storage root the record is stored in, so a copied or moved root stays valid. */
    key: z.string(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    bytes: z.number().int().min(0),
    /** What the object is to the stage: `manifest`, `shard`, `teacher`, `soft-labels`, `model`, `report`... */
    role: z.string(),
  })
  .strict();
export type LineageObject = z.infer<typeof LineageObjectSchema>;

export const LineageRecordSchema = z
  .object({
    version: z.literal(1),
    runId: z.string(),
    workflowId: z.string(),
    workflowRunId: z.string(),
    workflowType: z.string(),
    stage: z.string(),
    /** Stage kind (`ingest`, `train`, `label`, `evaluate`, `report`, `promote`). */
    kind: z.string(),
    attempt: z.number().int().positive(),
    status: z.enum(['completed', 'failed']),
    cached: z.boolean(),
    cacheKey: z.string(),
    inputs: z.array(LineageObjectSchema),
    outputs: z.array(LineageObjectSchema),
    /** The resolved configuration the stage read. */
    config: z.unknown(),
    codeVersion: z.string(),
    backend: z
      .object({
        name: z.string(),
        device: z.string(),
        package: z.string(),
        /** Why this backend ran: `W2S_BACKEND` (named) or `first available` (the default order). Absent in records written before it was kept. */
        reason: z.string().optional(),
      })
      .strict()
      .nullable(),
    worker: z.object({ identity: z.string(), taskQueue: z.string(), host: z.string(), pid: z.number().int() }).strict(),
    startedAt: z.string(),
    endedAt: z.string(),
    /**
     * Finite numbers only. Records written before non-finite metrics were left
     * out hold `null` for them (JSON's NaN: an evaluation without teacher
     * labels has no agreement); those are read as absent.
     */
    metrics: z.record(z.string(), z.number().nullable()).transform((metrics) => Object.fromEntries(Object.entries(metrics).filter((entry): entry is [string, number] => entry[1] !== null))),
    /** Training: the step this attempt resumed from (0 = fresh start). */
    resumedFromStep: z.number().int().min(0).optional(),
    error: z.object({ type: z.string(), message: z.string() }).strict().optional(),
  })
  .strict();
export type LineageRecord = z.infer<typeof LineageRecordSchema>;
