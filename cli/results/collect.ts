/**
 * Finished runs as `w2s results` reads them from storage: each run's results
 * table, the run config its report recorded, and its lineage summary (wall
 * time, backends, workers, code versions).
 */
import { BadInputError } from '../../core/errors.js';
import type { LineageSummary } from '../../lineage/summary.js';
import { RunConfigSchema, type RunConfig } from '../../schemas/pipeline.js';
import type { ResultRow } from '../../schemas/stages.js';
import type { ObjectStore } from '../../storage/object-store.js';

export interface FinishedRun {
  readonly runId: string;
  readonly config: RunConfig;
  readonly rows: readonly ResultRow[];
  readonly lineage?: LineageSummary;
}

const TABLE = /^runs\/([^/]+)\/report\/table\.json$/;

/** Every run under `runs/` whose report was written, in run id order. */
export async function collectRuns(store: ObjectStore): Promise<FinishedRun[]> {
  const runIds = (await store.list('runs/')).flatMap((key) => TABLE.exec(key)?.[1] ?? []).sort();
  return Promise.all(runIds.map((runId) => readRun(store, runId)));
}

export async function readRun(store: ObjectStore, runId: string): Promise<FinishedRun> {
  const base = `runs/${runId}`;
  const text = async (key: string) => new TextDecoder().decode(await store.get(key));
  const rows = JSON.parse(await text(`${base}/report/table.json`)) as ResultRow[];
  const configKey = `${base}/report/config.json`;
  const config = (await store.exists(configKey))
    ? parseConfig(store.uriOf(configKey), JSON.parse(await text(configKey)))
    : configOfReport(store.uriOf(`${base}/report/report.md`), await text(`${base}/report/report.md`));
  const summaryKey = `${base}/lineage-summary.json`;
  const lineage = (await store.exists(summaryKey)) ? (JSON.parse(await text(summaryKey)) as LineageSummary) : undefined;
  return { runId, config, rows, ...(lineage ? { lineage } : {}) };
}

/** The run config a report of an earlier version recorded in its "Configuration" section (a JSON block); reports now write `config.json`. */
export function configOfReport(where: string, markdown: string): RunConfig {
  const match = /## Configuration\s+```json\n([\s\S]*?)\n```/.exec(markdown);
  if (!match?.[1]) throw new BadInputError(where, 'has no "## Configuration" JSON block');
  return parseConfig(where, JSON.parse(match[1]));
}

function parseConfig(where: string, json: unknown): RunConfig {
  const parsed = RunConfigSchema.safeParse(json);
  if (!parsed.success) throw new BadInputError(where, `records a run config this version cannot read: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}
