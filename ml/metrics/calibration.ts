/**
 * Expected calibration error (Guo et al. 2017): examples are binned by
 * confidence (largest softmax probability) into equal-width bins
 * (b / n, (b + 1) / n], and ECE = sum over bins of
 * (bin size / N) * |accuracy in bin - mean confidence in bin|.
 */
import { BadInputError } from '../../core/errors.js';
import { toLabels, toRows, type LabelsInput, type LogitsInput } from './inputs.js';
import { argmaxRow, calibrationBin, confidenceRow } from './rows.js';

export const DEFAULT_CALIBRATION_BINS = 15;

export function checkBins(where: string, bins: number): void {
  if (!Number.isInteger(bins) || bins < 1) throw new BadInputError(where, `bins must be a positive integer, got ${bins}`);
}

export function expectedCalibrationError(logits: LogitsInput, labels: LabelsInput, bins = DEFAULT_CALIBRATION_BINS): number {
  const where = 'expected calibration error';
  checkBins(where, bins);
  const m = toRows(where, 'logits', logits);
  const y = toLabels(where, labels, m.rows, m.cols);
  if (m.rows === 0) throw new BadInputError(where, 'no examples given; the metric is undefined');
  // Per bin: sum of (correct - confidence); |sum| / N is the bin's share.
  const gap = new Float64Array(bins);
  for (let r = 0; r < m.rows; r++) {
    const confidence = confidenceRow(m, r);
    gap[calibrationBin(confidence, bins)]! += (argmaxRow(m, r) === y[r] ? 1 : 0) - confidence;
  }
  return gap.reduce((sum, g) => sum + Math.abs(g), 0) / m.rows;
}
