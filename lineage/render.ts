/**
 * Plain-text views of a run's lineage and of its verification, for people
 * at a terminal: one block per stage (status, attempt, duration, where it
 * ran, objects in and out with short hashes) and one line per checked object.
 */
import type { LineageObject, LineageRecord } from '../schemas/lineage.js';
import { durationMs, type StageEdge, type StageGraph, type StageNode } from './graph.js';
import type { LineageSummary } from './summary.js';
import type { ObjectCheck, RunVerification } from './verify.js';

const SHORT_HASH = 12;

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const totalSeconds = Math.round(ms / 1000);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  return hours > 0 ? `${hours}h${String(minutes).padStart(2, '0')}m` : `${minutes}m${String(seconds).padStart(2, '0')}s`;
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

export function renderLineage(records: readonly LineageRecord[], graph: StageGraph, summary: LineageSummary): string {
  const lines = [
    `run ${summary.runId}: ${plural(summary.stages, 'stage')}, ${plural(summary.attempts, 'attempt')}, ${plural(summary.cacheHits, 'cache hit')}, ` +
      `${plural(summary.failedAttempts, 'failed attempt')}, ${formatDuration(summary.wallMs)} wall (${summary.startedAt} to ${summary.endedAt})`,
    `code ${summary.codeVersions.join(', ')}; backends ${summary.backends.join(', ') || 'none'}; workers ${summary.workers.join(', ')}`,
  ];
  if (summary.failedStages.length > 0) lines.push(`FAILED: ${summary.failedStages.join(', ')}`);
  for (const node of graph.nodes) {
    lines.push('', ...renderNode(node, records, graph.edges));
  }
  return lines.join('\n');
}

function renderNode(node: StageNode, records: readonly LineageRecord[], edges: readonly StageEdge[]): string[] {
  const status = node.cached ? 'cached' : node.status === 'failed' ? 'FAILED' : node.status;
  const attempt = node.attempts > 1 ? `attempt ${node.attempt} (of ${node.attempts} recorded)` : `attempt ${node.attempt}`;
  const backend = node.backend ? `${node.backend.name}/${node.backend.device}` : 'no backend';
  const head = [`${node.stage} [${node.kind}]`, status, attempt, formatDuration(node.durationMs), backend, `worker ${node.worker.identity} (${node.worker.taskQueue})`];
  if (node.resumedFromStep !== undefined && node.resumedFromStep > 0) head.push(`resumed from step ${node.resumedFromStep}`);
  const lines = [head.join('  ')];
  for (const earlier of records.filter((r) => r.stage === node.stage && r.attempt !== node.attempt)) {
    const outcome = earlier.cached ? 'cached' : earlier.status;
    const error = earlier.error ? ` (${earlier.error.type}: ${earlier.error.message})` : '';
    lines.push(`    attempt ${earlier.attempt} on ${earlier.worker.identity}: ${outcome} after ${formatDuration(durationMs(earlier))}${error}`);
  }
  if (node.error) lines.push(`    error: ${node.error.type}: ${node.error.message}`);
  for (const input of node.inputs) {
    const from = edges.find((e) => e.to === node.stage && e.object.key === input.key && e.object.sha256 === input.sha256)?.from;
    lines.push(`    in   ${objectLine(input)}${from ? `  <- ${from}` : ''}`);
  }
  for (const output of node.outputs) lines.push(`    out  ${objectLine(output)}`);
  const metrics = Object.entries(node.metrics);
  if (metrics.length > 0) lines.push(`    metrics  ${metrics.map(([name, value]) => `${name}=${formatNumber(value)}`).join(' ')}`);
  return lines;
}

function objectLine(object: LineageObject): string {
  return `${object.sha256.slice(0, SHORT_HASH)}  ${object.role.padEnd(11)} ${object.key}  (${object.bytes} B)`;
}

export function renderVerification(result: RunVerification): string {
  const { ok, missing, mismatch } = result.counts;
  const lines = [`verify ${result.runId}: ${plural(result.objects.length, 'object')}, ${ok} ok, ${mismatch} mismatched, ${missing} missing`];
  for (const check of result.objects) lines.push(checkLine(check));
  for (const { stage, expected, found } of result.missingRecords) {
    lines.push(`  MISSING   lineage of ${stage}: the run's summary counts ${plural(expected, 'attempt')}, ${found} found (lineage/${result.runId}/${stage}-<attempt>.json deleted or replaced)`);
  }
  if (!result.summary) lines.push(`  (no lineage summary: the run has not ended or its summary is gone, so missing records cannot be told)`);
  return lines.join('\n');
}

function checkLine(check: ObjectCheck): string {
  const who = `(${check.roles.join(', ')}; ${check.namedBy.join(', ')})`;
  switch (check.verdict) {
    case 'ok':
      return `  ok        ${check.key}  ${check.expectedSha256.slice(0, SHORT_HASH)}  ${who}`;
    case 'missing':
      return `  MISSING   ${check.key}  expected sha256 ${check.expectedSha256}  ${who}`;
    case 'mismatch':
      return `  MISMATCH  ${check.key}  expected sha256 ${check.expectedSha256} (${check.expectedBytes} B), found ${check.actualSha256 ?? '?'} (${check.actualBytes ?? '?'} B)  ${who}`;
  }
}
