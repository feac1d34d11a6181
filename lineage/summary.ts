/**
 * A compact summary of a run's lineage, written next to the run's other
 * outputs as `runs/<runId>/lineage-summary.json` when the pipeline ends.
 * Built only from the records, in canonical JSON, so the same records always
 * give the same bytes (a retried write is a no-op, not a conflict).
 */
import { canonicalJson } from '../core/hash.js';
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

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

function distinct(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}
