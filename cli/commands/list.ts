import type { Command } from 'commander';
import { BadInputError } from '../../core/errors.js';
import type { TemporalFlags } from '../../core/temporal-settings.js';
import { BEST_PGR, CONFIG_NAME, DATASET_ID } from '../../workflows/run-metadata.js';
import { SEARCH_ATTRIBUTES } from '../../schemas/names.js';
import { withClient } from '../client.js';
import { clock, duration } from '../status-view.js';
import { withTemporalOptions } from '../temporal-options.js';
import type { WorkflowExecutionInfo } from '@temporalio/client';

interface ListFlags extends TemporalFlags {
  readonly status?: string;
  readonly name?: string;
  readonly dataset?: string;
  readonly method?: string;
  readonly query?: string;
  readonly limit: string;
  readonly json?: boolean;
}

/** One run as `w2s list` shows it, read from visibility (search attributes and memo), not from the run itself. */
export interface RunSummary {
  readonly runId: string;
  readonly name?: string;
  readonly status: string;
  readonly startTime: string;
  readonly closeTime?: string;
  readonly durationSeconds: number;
  readonly datasetId?: string;
  readonly bestStudent?: string;
  readonly bestPgr?: number;
  readonly configHash?: string;
  readonly storageRoot?: string;
  /** A running run whose workflow task keeps failing: no stage moves until it is fixed (`w2s status` says why). */
  readonly stuck?: true;
}

/** `--status` values and the ExecutionStatus each stands for in a visibility query. */
const STATUSES: Readonly<Record<string, string>> = {
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Canceled',
  canceled: 'Canceled',
  terminated: 'Terminated',
  'timed-out': 'TimedOut',
};

export function registerList(program: Command): void {
  withTemporalOptions(program.command('list'))
    .description('list runs, newest first: name, status, start, duration, dataset, best student and its PGR (from Temporal visibility)')
    .option('--status <status>', `only runs in this state: ${Object.keys(STATUSES).filter((s) => s !== 'canceled').join(', ')}`)
    .option('--name <name>', 'only runs of this config name')
    .option('--dataset <id>', 'only runs on this dataset (an id or its first characters)')
    .option('--method <method>', 'only runs with a student of this method')
    .option('--query <visibility query>', `a Temporal visibility query, ANDed with the filters above (e.g. "${SEARCH_ATTRIBUTES.bestPgr.name} > 0.5")`)
    .option('--limit <n>', 'at most this many runs', '20')
    .option('--json', 'machine-readable output')
    .action(async (flags: ListFlags) => {
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new BadInputError(`--limit ${flags.limit}`, 'expected a positive whole number');
      const query = listQuery(flags);
      await withClient(flags, async (client) => {
        const runs: RunSummary[] = [];
        for await (const info of client.workflow.list({ query, pageSize: limit })) {
          runs.push(summarize(info));
          if (runs.length >= limit) break;
        }
        // Visibility says RUNNING for a run whose workflow task fails on every attempt; only the run's description shows it.
        const stuck = await Promise.all(
          runs.map(async (run) => run.status === 'RUNNING' && ((await client.workflow.getHandle(run.runId).describe().catch(() => undefined))?.raw.pendingWorkflowTask?.attempt ?? 0) > 1),
        );
        runs.forEach((run, i) => {
          if (stuck[i]) runs[i] = { ...run, stuck: true };
        });
        console.log(flags.json ? JSON.stringify(runs, null, 2) : formatRuns(runs));
      });
    });
}

/** The visibility query for the flags: pipeline runs (sweep points and retrains' pipelines included), filtered. */
export function listQuery(flags: Omit<ListFlags, 'limit'>): string {
  const clauses = [`WorkflowType = 'weakToStrong'`];
  if (flags.status !== undefined) {
    const status = STATUSES[flags.status.toLowerCase()];
    if (!status) throw new BadInputError(`--status ${flags.status}`, `expected one of ${Object.keys(STATUSES).join(', ')}`);
    clauses.push(`ExecutionStatus = '${status}'`);
  }
  if (flags.name !== undefined) clauses.push(`${CONFIG_NAME.name} = ${quoted(flags.name, '--name')}`);
  if (flags.dataset !== undefined) clauses.push(`${DATASET_ID.name} STARTS_WITH ${quoted(flags.dataset, '--dataset')}`);
  if (flags.method !== undefined) clauses.push(`${SEARCH_ATTRIBUTES.methods.name} = ${quoted(flags.method, '--method')}`);
  if (flags.query !== undefined && flags.query.trim() !== '') clauses.push(`(${flags.query})`);
  return clauses.join(' AND ');
}

/** A value as a visibility query string literal; quotes and backslashes cannot be escaped there, so they are refused. */
function quoted(value: string, flag: string): string {
  if (/['"\\]/.test(value)) throw new BadInputError(`${flag} ${value}`, 'quotes and backslashes cannot appear in a filter value');
  return `'${value}'`;
}

function summarize(info: WorkflowExecutionInfo): RunSummary {
  const memo = (info.memo ?? {}) as { configName?: string; bestStudent?: string; configHash?: string; storageRoot?: string };
  const attributes = info.typedSearchAttributes;
  const name = attributes.get(CONFIG_NAME) ?? memo.configName;
  const datasetId = attributes.get(DATASET_ID);
  const bestPgr = attributes.get(BEST_PGR);
  const end = info.closeTime ?? new Date();
  return {
    runId: info.workflowId,
    ...(name !== undefined ? { name } : {}),
    status: info.status.name,
    startTime: info.startTime.toISOString(),
    ...(info.closeTime ? { closeTime: info.closeTime.toISOString() } : {}),
    durationSeconds: Math.max(0, (end.getTime() - info.startTime.getTime()) / 1000),
    ...(datasetId !== undefined ? { datasetId } : {}),
    ...(memo.bestStudent !== undefined ? { bestStudent: memo.bestStudent } : {}),
    ...(bestPgr !== undefined ? { bestPgr } : {}),
    ...(memo.configHash !== undefined ? { configHash: memo.configHash } : {}),
    ...(memo.storageRoot !== undefined ? { storageRoot: memo.storageRoot } : {}),
  };
}

/** Dataset ids are sha256 hex: their first 12 characters tell runs apart, and `--dataset` takes them. */
const SHORT_ID = 12;

export function formatRuns(runs: readonly RunSummary[]): string {
  if (runs.length === 0) return 'no runs match';
  const header = ['RUN', 'NAME', 'STATUS', 'STARTED', 'DURATION', 'DATASET', 'BEST', 'PGR'];
  const rows = runs.map((r) => [
    r.runId,
    r.name ?? '',
    r.stuck ? `${r.status} (stuck: w2s status ${r.runId})` : r.status,
    clock(r.startTime),
    duration(r.durationSeconds),
    r.datasetId?.slice(0, SHORT_ID) ?? '',
    r.bestStudent ?? '',
    r.bestPgr !== undefined ? r.bestPgr.toFixed(3) : '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  return [header, ...rows].map((row) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
}
