/**
 * What the metrics accept, and its reduction to plain arrays: tf tensors
 * (read back synchronously), flat typed arrays with a class count (as
 * stored in soft-label shards), or arrays of rows.
 */
import type * as tf from '@tensorflow/tfjs';
import { BadInputError } from '../../core/errors.js';

/** Flat row-major logits of `numClasses` columns. */
export interface FlatLogits {
  readonly values: ArrayLike<number>;
  readonly numClasses: number;
}

export type LogitsInput = tf.Tensor2D | FlatLogits | ReadonlyArray<ArrayLike<number>>;
export type LabelsInput = tf.Tensor1D | ArrayLike<number>;

/** Logits as a row-major matrix. */
export interface LogitRows {
  readonly values: ArrayLike<number>;
  readonly rows: number;
  readonly cols: number;
}

function isTensor(value: unknown): value is tf.Tensor {
  return typeof value === 'object' && value !== null && 'dataSync' in value && 'shape' in value;
}

function isFlat(value: LogitsInput): value is FlatLogits {
  return 'numClasses' in value && 'values' in value;
}

function checkFinite(where: string, name: string, rows: LogitRows): LogitRows {
  for (let i = 0; i < rows.values.length; i++) {
    if (!Number.isFinite(rows.values[i]!)) {
      const row = Math.floor(i / rows.cols);
      throw new BadInputError(where, `${name} row ${row} holds ${rows.values[i]} (a diverged model?); metrics need finite logits`);
    }
  }
  return rows;
}

export function toRows(where: string, name: string, logits: LogitsInput): LogitRows {
  if (isTensor(logits)) {
    if (logits.rank !== 2) throw new BadInputError(where, `${name} must be [examples, classes], got shape [${logits.shape.join(', ')}]`);
    const [rows, cols] = logits.shape as [number, number];
    return checkFinite(where, name, { values: logits.dataSync(), rows, cols });
  }
  if (isFlat(logits)) {
    const cols = logits.numClasses;
    if (!Number.isInteger(cols) || cols < 1) throw new BadInputError(where, `${name}: numClasses must be a positive integer, got ${cols}`);
    if (logits.values.length % cols !== 0) {
      throw new BadInputError(where, `${name} hold ${logits.values.length} values, not a multiple of numClasses ${cols}`);
    }
    return checkFinite(where, name, { values: logits.values, rows: logits.values.length / cols, cols });
  }
  const rows = logits.length;
  const cols = rows > 0 ? logits[0]!.length : 0;
  const values = new Float64Array(rows * cols);
  logits.forEach((row, r) => {
    if (row.length !== cols) throw new BadInputError(where, `${name} row ${r} has ${row.length} classes, row 0 has ${cols}`);
    for (let c = 0; c < cols; c++) values[r * cols + c] = row[c]!;
  });
  return checkFinite(where, name, { values, rows, cols });
}

export function toLabels(where: string, labels: LabelsInput, rows: number, numClasses: number): ArrayLike<number> {
  let values: ArrayLike<number>;
  if (isTensor(labels)) {
    if (labels.rank !== 1) throw new BadInputError(where, `labels must be [examples], got shape [${labels.shape.join(', ')}]`);
    values = labels.dataSync();
  } else {
    values = labels;
  }
  if (values.length !== rows) throw new BadInputError(where, `labels hold ${values.length} examples but logits hold ${rows}`);
  for (let i = 0; i < values.length; i++) {
    const y = values[i]!;
    if (!Number.isInteger(y) || y < 0 || y >= numClasses) {
      throw new BadInputError(where, `label ${i} is ${y}; expected a class index in [0, ${numClasses})`);
    }
  }
  return values;
}

export function checkSameShape(where: string, a: LogitRows, b: LogitRows, names: [string, string]): void {
  if (a.rows !== b.rows || a.cols !== b.cols) {
    throw new BadInputError(where, `${names[1]} are [${b.rows}, ${b.cols}] but ${names[0]} are [${a.rows}, ${a.cols}]; they must match`);
  }
}
