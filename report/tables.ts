/**
 * The report's tables as header and rows of strings, shared by the
 * Markdown and the HTML page: results, per-class accuracy, the teacher
 * split, training summaries, stages and the configuration.
 */
import type { ReportContent } from './content.js';
import { applicableConfig, flattenConfig } from './config-table.js';
import { foldLabelShards } from './stage-groups.js';
import { RESULT_HEADER, resultColumns } from './table.js';
import { percent } from './percent.js';

export interface Table {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** Columns aligned left (text); the others are numbers. */
  readonly textColumns: number;
}


/** Who reads each split's labels: the protocol, said where a reader of one run's report looks. */
const SPLIT_USE: Readonly<Record<string, string>> = {
  weak: 'W: the weak teacher trains on its ground truth',
  transfer: 'S: the teacher labels it; students learn from those labels (the ceiling from its ground truth)',
  validation: 'choosing settings and early stopping (by ground truth or the teacher\'s labels, as configured)',
  test: 'evaluation only',
  pool: 'pretraining only: the backbone learns its labels; never seen by the teacher or the students',
};

export function splitsTable(content: Pick<ReportContent, 'splits'>): Table {
  return {
    header: ['split', 'examples', 'what reads its labels'],
    rows: (content.splits ?? []).filter((s) => s.examples > 0).map((s) => [s.name, String(s.examples), SPLIT_USE[s.name] ?? '']),
    textColumns: 1,
  };
}

export function resultsTable(content: Pick<ReportContent, 'rows'>): Table {
  return { header: RESULT_HEADER, rows: content.rows.map(resultColumns), textColumns: 2 };
}

export function perClassTable(content: Pick<ReportContent, 'evaluations' | 'classNames'>): Table {
  return {
    header: ['class', ...content.evaluations.map((e) => e.name)],
    rows: content.classNames.map((name, c) => [name, ...content.evaluations.map((e) => percent(e.details.perClassAccuracy[c]))]),
    textColumns: 1,
  };
}

export function teacherSplitTable(content: Pick<ReportContent, 'evaluations'>): Table {
  const rows = content.evaluations.flatMap((e) => {
    const t = e.details.teacher;
    if (!t || e.role === 'weak') return [];
    const of = (n: number, total: number) => (total > 0 ? `${percent(n / total)} (${n})` : '-');
    return [[e.name, String(t.right.examples), of(t.right.correct, t.right.examples), String(t.wrong.examples), of(t.wrong.correct, t.wrong.examples), of(t.wrong.agreeing, t.wrong.examples)]];
  });
  return { header: ['model', 'teacher right', 'kept right', 'teacher wrong', 'fixed', 'copied the teacher'], rows, textColumns: 1 };
}

export function trainingTable(content: Pick<ReportContent, 'trainings'>): Table {
  const rows = content.trainings.map((t) => {
    const last = t.record.perEpoch[t.record.perEpoch.length - 1];
    const alpha = last?.loss.alpha;
    // The teacher learns its split's ground truth with the ceiling's loss; it is not a ceiling.
    const method = t.role === 'weak' ? 'ground truth (teacher)' : t.record.method === 'ceiling' ? 'ceiling (ground truth)' : t.record.method;
    return [t.name, method, String(t.record.epochs), String(t.record.steps), last?.loss.total?.toFixed(4) ?? '-', percent(last?.trainAccuracy), alpha === undefined ? '-' : alpha.toFixed(3)];
  });
  return { header: ['model', 'method', 'epochs', 'steps', 'last epoch loss', 'last epoch train accuracy', 'last epoch mean alpha'], rows, textColumns: 2 };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function stagesTable(content: Pick<ReportContent, 'stages'>): Table {
  const rows = foldLabelShards(content.stages).map((s) => [s.stage, s.kind, s.cached ? 'cached' : s.status, String(s.attempts), seconds(s.durationMs), s.worker, s.backend ?? '-', summarizeList(s.after)]);
  return { header: ['stage', 'kind', 'outcome', 'attempts', 'ran for', 'worker', 'backend', 'after'], rows, textColumns: 3 };
}

export function configTable(content: Pick<ReportContent, 'config'>): Table {
  return { header: ['key', 'value'], rows: applicableConfig(flattenConfig(content.config)).map((e) => [e.key, e.value]), textColumns: 2 };
}

/** A long list of upstream stages (one labeling stage per shard) shortened to its first few. */
function summarizeList(items: readonly string[], keep = 3): string {
  if (items.length <= keep) return items.join(', ') || '-';
  return `${items.slice(0, keep).join(', ')} and ${items.length - keep} more`;
}
