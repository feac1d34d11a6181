/**
 * One report comparing the runs of a sweep: for each grid point (runs that
 * differ only by seed are one point) and model, the mean test accuracy and
 * PGR over the seeds with their spread, as tables and a plot with error bars.
 */
import type { ResultRow } from '../schemas/stages.js';
import { escapeHtml, htmlDocument, type HtmlBlock } from './html.js';
import { markdownDocument } from './markdown.js';
import { accuracyPlot } from './plots/accuracy.js';
import type { Table } from './tables.js';

export interface SweepRun {
  readonly runId: string;
  readonly seed: number;
  readonly rows: readonly ResultRow[];
}

export interface SweepContent {
  readonly sweepId: string;
  readonly runs: readonly SweepRun[];
}

/** A run's grid point: its id after the sweep's, without the seed (`adaptconf-th0p5-s1` -> `adaptconf-th0p5`). */
export function pointOf(sweepId: string, runId: string): string {
  const rest = runId.startsWith(`${sweepId}-`) ? runId.slice(sweepId.length + 1) : runId;
  return rest.replace(/(^|-)s\d+$/, '') || 'base';
}

interface Group {
  readonly point: string;
  readonly model: string;
  readonly role: ResultRow['role'];
  readonly accuracy: number[];
  readonly pgr: number[];
}

function groups(content: SweepContent): Group[] {
  const byKey = new Map<string, Group>();
  for (const run of content.runs) {
    const point = pointOf(content.sweepId, run.runId);
    for (const row of run.rows) {
      const key = `${point}\u0000${row.name}`;
      const group = byKey.get(key) ?? { point, model: row.name, role: row.role, accuracy: [], pgr: [] };
      group.accuracy.push(row.accuracy);
      if (row.pgr !== null) group.pgr.push(row.pgr);
      byKey.set(key, group);
    }
  }
  return [...byKey.values()];
}

export function meanAndSpread(values: readonly number[]): { mean: number; sd: number } | undefined {
  if (values.length === 0) return undefined;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  // Sample standard deviation: the spread a new seed is expected to show.
  const sd = values.length > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1)) : 0;
  return { mean, sd };
}

const plusMinus = (values: readonly number[], scale: number, digits: number) => {
  const m = meanAndSpread(values);
  return m ? `${(scale * m.mean).toFixed(digits)} ± ${(scale * m.sd).toFixed(digits)}` : '-';
};

export function sweepTable(content: SweepContent): Table {
  const rows = groups(content).map((g) => [g.point, g.model, g.role, String(g.accuracy.length), `${plusMinus(g.accuracy, 100, 2)}%`, plusMinus(g.pgr, 1, 3)]);
  return { header: ['point', 'model', 'role', 'runs', 'accuracy (mean ± sd)', 'PGR (mean ± sd)'], rows, textColumns: 3 };
}

export function sweepRunsTable(content: SweepContent): Table {
  const names = [...new Set(content.runs.flatMap((r) => r.rows.map((row) => row.name)))];
  const rows = content.runs.map((run) => [run.runId, String(run.seed), ...names.map((name) => {
    const row = run.rows.find((r) => r.name === name);
    return row ? `${(100 * row.accuracy).toFixed(2)}%` : '-';
  })]);
  return { header: ['run', 'seed', ...names], rows, textColumns: 1 };
}

function accuracyValues(content: SweepContent) {
  const several = new Set(content.runs.map((r) => pointOf(content.sweepId, r.runId))).size > 1;
  return content.runs.flatMap((run) => run.rows.map((row) => ({ model: several ? `${row.name} @ ${pointOf(content.sweepId, run.runId)}` : row.name, role: row.role, accuracy: row.accuracy, pgr: row.pgr })));
}

const NOTE = 'Runs that differ only by seed form one point; accuracy is on the test split, PGR = (student - weak) / (ceiling - weak) within each run.';

export function renderSweepMarkdown(content: SweepContent, htmlLocation?: string): string {
  return markdownDocument(
    `w2s sweep ${content.sweepId}`,
    [`${content.runs.length} runs.`, NOTE, ...(htmlLocation ? [`The plot is in the HTML report: ${htmlLocation}`] : [])],
    [
      { title: 'Per point and model', table: sweepTable(content) },
      { title: 'Runs', table: sweepRunsTable(content) },
    ],
  );
}

export async function renderSweepHtml(content: SweepContent): Promise<string> {
  const plot = accuracyPlot(accuracyValues(content), { id: 'sweep-accuracy', title: 'Test accuracy and PGR over the sweep' });
  const blocks: HtmlBlock[] = [
    { kind: 'table', title: 'Per point and model', table: sweepTable(content), caption: NOTE },
    ...(plot ? [{ kind: 'plot' as const, plot }] : []),
    { kind: 'table', title: 'Runs', table: sweepRunsTable(content), caption: 'Each run has its own report: w2s report <run>.' },
  ];
  return htmlDocument(`w2s sweep ${content.sweepId}`, `<p>${content.runs.length} runs of sweep <code>${escapeHtml(content.sweepId)}</code>.</p>`, blocks);
}
