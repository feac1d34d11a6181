/**
 * Classification metrics of one set of logits, each a single pass over the
 * rows. For evaluation over many batches or shards use MetricAccumulator,
 * which gives the same numbers without holding all logits.
 */
import { BadInputError } from '../../core/errors.js';
import { checkSameShape, toLabels, toRows, type LabelsInput, type LogitsInput } from './inputs.js';
import { argmaxRow, rankOf } from './rows.js';

function nonEmpty(where: string, rows: number): void {
  if (rows === 0) throw new BadInputError(where, 'no examples given; the metric is undefined');
}

/** Fraction of examples whose argmax is the label. */
export function accuracy(logits: LogitsInput, labels: LabelsInput): number {
  const where = 'accuracy';
  const m = toRows(where, 'logits', logits);
  const y = toLabels(where, labels, m.rows, m.cols);
  nonEmpty(where, m.rows);
  let correct = 0;
  for (let r = 0; r < m.rows; r++) if (argmaxRow(m, r) === y[r]) correct++;
  return correct / m.rows;
}

/**
 * Fraction of examples whose label is among the k largest logits (ties to
 * the lower index). With k or fewer classes every label would count, so
 * that is an error rather than a misleading 1.
 */
export function topKAccuracy(logits: LogitsInput, labels: LabelsInput, k = 5): number {
  const where = `top-${k} accuracy`;
  const m = toRows(where, 'logits', logits);
  checkTopK(where, k, m.cols);
  const y = toLabels(where, labels, m.rows, m.cols);
  nonEmpty(where, m.rows);
  let hits = 0;
  for (let r = 0; r < m.rows; r++) if (rankOf(m, r, y[r]!) < k) hits++;
  return hits / m.rows;
}

function checkTopK(where: string, k: number, classes: number): void {
  if (!Number.isInteger(k) || k < 1) throw new BadInputError(where, `k must be a positive integer, got ${k}`);
  if (classes <= k) throw new BadInputError(where, `needs more than ${k} classes, got ${classes}; every label would be in the top ${k}`);
}

/** Fraction of examples where student and teacher predict the same class. */
export function agreement(student: LogitsInput, teacher: LogitsInput): number {
  const where = 'agreement';
  const s = toRows(where, 'student logits', student);
  const t = toRows(where, 'teacher logits', teacher);
  checkSameShape(where, s, t, ['student logits', 'teacher logits']);
  nonEmpty(where, s.rows);
  let same = 0;
  for (let r = 0; r < s.rows; r++) if (argmaxRow(s, r) === argmaxRow(t, r)) same++;
  return same / s.rows;
}

/** Counts with rows indexed by the true class and columns by the predicted class. */
export function confusionMatrix(logits: LogitsInput, labels: LabelsInput): number[][] {
  const where = 'confusion matrix';
  const m = toRows(where, 'logits', logits);
  const y = toLabels(where, labels, m.rows, m.cols);
  const counts = Array.from({ length: m.cols }, () => new Array<number>(m.cols).fill(0));
  for (let r = 0; r < m.rows; r++) counts[y[r]!]![argmaxRow(m, r)]!++;
  return counts;
}
