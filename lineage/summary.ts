/**
 * A compact summary of a run's lineage, written next to the run's other
 * outputs as `runs/<runId>/lineage-summary.json` when the pipeline ends.
 * Built only from the records, in canonical JSON, so the same records always
 * give the same bytes (a retried write is a no-op, not a conflict).
 */
import { BadInputError } from '../core/errors.js';
import { canonicalJson } from '../core/hash.js';
import { ObjectNotFoundError } from '../storage/errors.js';
import type { LineageRecord } from '../schemas/lineage.js';
import type { ObjectRef } from '../schemas/stages.js';
import { lineageSummaryKey } from '../storage/layout.js';
import type { ObjectStore } from '../storage/object-store.js';
import { attemptsByStage, durationMs } from './graph.js';
import { readLineage } from './read.js';

export interface StageSummary {
  readonly kind: string;
  readonly attempts: number;
  /** The latest attempt's status. */
  readonly status: LineageRecord['status'];
  readonly cached: boolean;
  /** Time spent in this stage's attempts, summed (retry back-off between them excluded). */
  readonly wallMs: number;
}

export interface LineageSummary {
  readonly runId: string;
  readonly stages: number;
  readonly attempts: number;
  /** Attempts answered from the stage cache. */
  readonly cacheHits: number;
  /** Attempts that failed, whether or not a later attempt succeeded. */
  readonly failedAttempts: number;
  /** Stages whose latest attempt failed. */
  readonly failedStages: readonly string[];
  /** Stages that needed more than one attempt. */
  readonly retriedStages: readonly string[];
  readonly startedAt: string;
  readonly endedAt: string;
  /** From the first attempt's start to the last attempt's end. */
  readonly wallMs: number;
  /** Sum of every attempt's duration: the work done, stages that overlapped counted in full. */
  readonly attemptMs: number;
  readonly perStage: Readonly<Record<string, StageSummary>>;
  /** Distinct `name/device` of the compute backends (stages that use none are left out). */
  readonly backends: readonly string[];
  readonly workers: readonly string[];
  readonly codeVersions: readonly string[];
}

export function lineageSummary(records: readonly LineageRecord[]): LineageSummary {
  const first = records[0];
  if (!first) throw new Error('a lineage summary needs at least one record');
  const byStage = attemptsByStage(records);
  const perStage: Record<string, StageSummary> = {};
  for (const [stage, attempts] of byStage) {
    const latest = attempts[attempts.length - 1] ?? first;
    perStage[stage] = {
      kind: latest.kind,
      attempts: attempts.length,
      status: latest.status,
      cached: latest.cached,
      wallMs: sum(attempts.map(durationMs)),
    };
  }
  const starts = records.map((r) => Date.parse(r.startedAt));
  const ends = records.map((r) => Date.parse(r.endedAt));
  const startedAt = Math.min(...starts);
  const endedAt = Math.max(...ends);
  const stages = Object.entries(perStage);
  return {
    runId: first.runId,
    stages: byStage.size,
    attempts: records.length,
    cacheHits: records.filter((r) => r.cached).length,
    failedAttempts: records.filter((r) => r.status === 'failed').length,
    failedStages: stages.filter(([, s]) => s.status === 'failed').map(([name]) => name).sort(),
    retriedStages: stages.filter(([, s]) => s.attempts > 1).map(([name]) => name).sort(),
    startedAt: new Date(startedAt).toISOString(),
    endedAt: new Date(endedAt).toISOString(),
    wallMs: endedAt - startedAt,
    attemptMs: sum(records.map(durationMs)),
    perStage,
    backends: distinct(records.flatMap((r) => (r.backend ? [`${r.backend.name}/${r.backend.device}`] : []))),
    workers: distinct(records.map((r) => r.worker.identity)),
    codeVersions: distinct(records.map((r) => r.codeVersion)),
  };
}

/** Where the summary of `runId` is written. */
export const summaryKey = lineageSummaryKey;

/** Reads the run's records and writes their summary (write-once), returning a reference to it. */
export async function writeLineageSummary(store: ObjectStore, runId: string): Promise<ObjectRef> {
  const summary = lineageSummary(await readLineage(store, runId));
  const info = await store.put(summaryKey(runId), `${canonicalJson(summary)}\n`, { contentType: 'application/json' });
  return { key: info.key, sha256: info.sha256, bytes: info.size };
}

/** A stage the run's summary counts more finished attempts for than there are records of. */
export interface MissingRecords {
  readonly stage: string;
  /** Attempts the summary counts. */
  readonly expected: number;
  /** Records found (a record replaced by a symbolic link is no object, so not found). */
  readonly found: number;
}

/**
 * The summary written when the run ended knows every stage and how many
 * attempts finished; fewer records than that means records were deleted,
 * replaced or never copied. Records written after the summary (a sweep's
 * validation scores) are not in it and are not missing. `summary: false`
 * when the run has no summary (it has not ended, or the summary is gone), so
 * nothing can be said about missing records.
 */
export async function missingRecords(store: ObjectStore, runId: string, records: readonly LineageRecord[]): Promise<{ readonly summary: boolean; readonly missing: readonly MissingRecords[] }> {
  const counted = await summaryAttempts(store, runId);
  if (!counted) return { summary: false, missing: [] };
  const found = new Map<string, number>();
  for (const record of records) found.set(record.stage, (found.get(record.stage) ?? 0) + 1);
  const missing = [...counted]
    .filter(([stage, expected]) => (found.get(stage) ?? 0) < expected)
    .map(([stage, expected]) => ({ stage, expected, found: found.get(stage) ?? 0 }))
    .sort((a, b) => a.stage.localeCompare(b.stage));
  return { summary: true, missing };
}

/** Attempts per stage from the run's stored summary; undefined when it has none. */
async function summaryAttempts(store: ObjectStore, runId: string): Promise<Map<string, number> | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await store.get(summaryKey(runId));
  } catch (error) {
    if (error instanceof ObjectNotFoundError) return undefined;
    throw error;
  }
  const where = `lineage summary ${store.uriOf(summaryKey(runId))}`;
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new BadInputError(where, `is not valid JSON (${(error as Error).message})`);
  }
  const perStage = typeof json === 'object' && json !== null ? (json as { perStage?: unknown }).perStage : undefined;
  if (typeof perStage !== 'object' || perStage === null) throw new BadInputError(where, 'has no perStage table');
  const attempts = new Map<string, number>();
  for (const [stage, entry] of Object.entries(perStage)) {
    const count = typeof entry === 'object' && entry !== null ? (entry as { attempts?: unknown }).attempts : undefined;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) throw new BadInputError(where, `perStage.${stage}.attempts is not a positive whole number`);
    attempts.set(stage, count);
  }
  return attempts;
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

function distinct(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}
