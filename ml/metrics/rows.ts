/**
 * Per-example quantities the metrics are built from, on row r of a
 * row-major logit matrix. Ties go to the lowest class index, as in
 * tf.argMax and torch.argmax.
 */
import type { LogitRows } from './inputs.js';

export function argmaxRow(m: LogitRows, r: number): number {
  const base = r * m.cols;
  let best = 0;
  for (let c = 1; c < m.cols; c++) if (m.values[base + c]! > m.values[base + best]!) best = c;
  return best;
}

/**
 * How many classes rank above `label` in row r: those with a larger logit,
 * and those with an equal one and a lower index. The label is in the top k
 * exactly when this is below k.
 */
export function rankOf(m: LogitRows, r: number, label: number): number {
  const base = r * m.cols;
  const own = m.values[base + label]!;
  let above = 0;
  for (let c = 0; c < m.cols; c++) {
    const v = m.values[base + c]!;
    if (v > own || (v === own && c < label)) above++;
  }
  return above;
}

/** The largest softmax probability of row r, 1 / sum_j exp(x_j - max), in float64. */
export function confidenceRow(m: LogitRows, r: number): number {
  const base = r * m.cols;
  let max = -Infinity;
  for (let c = 0; c < m.cols; c++) max = Math.max(max, m.values[base + c]!);
  let sum = 0;
  for (let c = 0; c < m.cols; c++) sum += Math.exp(m.values[base + c]! - max);
  return 1 / sum;
}

/**
 * The calibration bin of a confidence in (0, 1]: bin b covers
 * (b / bins, (b + 1) / bins], the convention of Guo et al. (2017).
 */
export function calibrationBin(confidence: number, bins: number): number {
  return Math.min(bins - 1, Math.max(0, Math.ceil(confidence * bins) - 1));
}
