/**
 * The stage graph of a run: one node per stage (described by its latest
 * attempt) and one edge per object a stage consumed that another stage of
 * the run produced. Objects are content-addressed, so an input is matched to
 * the output with the same URI and sha256, or failing that the same sha256
 * (a copy under another name).
 */
import type { LineageObject, LineageRecord } from '../schemas/lineage.js';

export interface StageNode {
  readonly stage: string;
  readonly kind: string;
  /** How many attempts finished (completed, cached or failed). */
  readonly attempts: number;
  /** The latest attempt, which the rest of the node describes. */
  readonly attempt: number;
  readonly status: LineageRecord['status'];
  readonly cached: boolean;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly durationMs: number;
  readonly backend: LineageRecord['backend'];
  readonly worker: LineageRecord['worker'];
  readonly codeVersion: string;
  readonly resumedFromStep?: number;
  readonly metrics: Readonly<Record<string, number>>;
  readonly inputs: readonly LineageObject[];
  readonly outputs: readonly LineageObject[];
  readonly error?: LineageRecord['error'];
}

export interface StageEdge {
  /** The producing stage. */
  readonly from: string;
  /** The consuming stage. */
  readonly to: string;
  /** The object passed along. */
  readonly object: LineageObject;
}

export interface StageGraph {
  /** In the order the stages first started. */
  readonly nodes: readonly StageNode[];
  readonly edges: readonly StageEdge[];
}

export function durationMs(record: Pick<LineageRecord, 'startedAt' | 'endedAt'>): number {
  return Date.parse(record.endedAt) - Date.parse(record.startedAt);
}

/** Oldest first; attempts that started at the same moment by stage name, then attempt. */
export function byStart(a: LineageRecord, b: LineageRecord): number {
  return Date.parse(a.startedAt) - Date.parse(b.startedAt) || a.stage.localeCompare(b.stage) || a.attempt - b.attempt;
}

/** Records grouped by stage, in first-start order, each group's attempts ascending. */
export function attemptsByStage(records: readonly LineageRecord[]): Map<string, LineageRecord[]> {
  const byStage = new Map<string, LineageRecord[]>();
  const ordered = [...records].sort(byStart);
  for (const record of ordered) {
    const attempts = byStage.get(record.stage) ?? [];
    attempts.push(record);
    byStage.set(record.stage, attempts);
  }
  for (const attempts of byStage.values()) attempts.sort((a, b) => a.attempt - b.attempt);
  return byStage;
}

export function stageGraph(records: readonly LineageRecord[]): StageGraph {
  const byStage = attemptsByStage(records);
  const nodes = [...byStage.values()].map(nodeOf);
  return { nodes, edges: edgesOf(nodes) };
}

function nodeOf(attempts: readonly LineageRecord[]): StageNode {
  const latest = attempts[attempts.length - 1];
  if (!latest) throw new Error('a stage without attempts has no node');
  return {
    stage: latest.stage,
    kind: latest.kind,
    attempts: attempts.length,
    attempt: latest.attempt,
    status: latest.status,
    cached: latest.cached,
    startedAt: latest.startedAt,
    endedAt: latest.endedAt,
    durationMs: durationMs(latest),
    backend: latest.backend,
    worker: latest.worker,
    codeVersion: latest.codeVersion,
    ...(latest.resumedFromStep !== undefined ? { resumedFromStep: latest.resumedFromStep } : {}),
    metrics: latest.metrics,
    inputs: latest.inputs,
    outputs: latest.outputs,
    ...(latest.error ? { error: latest.error } : {}),
  };
}

function edgesOf(nodes: readonly StageNode[]): StageEdge[] {
  // The first stage (in start order) to output an object is its producer; a later identical output is a reuse.
  const byIdentity = new Map<string, string>();
  const byContent = new Map<string, string>();
  for (const node of nodes) {
    for (const output of node.outputs) {
      if (!byIdentity.has(identity(output))) byIdentity.set(identity(output), node.stage);
      if (!byContent.has(output.sha256)) byContent.set(output.sha256, node.stage);
    }
  }
  const edges: StageEdge[] = [];
  for (const node of nodes) {
    for (const input of node.inputs) {
      const producer = byIdentity.get(identity(input)) ?? byContent.get(input.sha256);
      if (producer !== undefined && producer !== node.stage) edges.push({ from: producer, to: node.stage, object: input });
    }
  }
  return edges;
}

function identity(object: LineageObject): string {
  return `${object.sha256} ${object.key}`;
}
