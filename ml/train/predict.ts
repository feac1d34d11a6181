/**
 * Logits of a model in inference mode, batch by batch inside tidy scopes:
 * for teacher labeling and evaluation.
 */
import * as tf from '@tensorflow/tfjs';
import type { BatchSource } from '../data/batches.js';
import { disposeBatch } from '../data/dispose.js';
import type { Model } from '../models/model.js';

export interface Predictions {
  /** Example ids, in the source's unshuffled order. */
  readonly index: Uint32Array;
  /** `index.length * numClasses` logits, row per example. */
  readonly logits: Float32Array;
  readonly numClasses: number;
  /** Ground truth, when the source carries it. */
  readonly labels?: Int32Array;
}

export interface PredictOptions {
  readonly batchSize?: number;
}

const DEFAULT_BATCH = 256;

export function predictLogits(model: Model, input: tf.Tensor4D, options?: PredictOptions): Promise<tf.Tensor2D>;
export function predictLogits(model: Model, input: BatchSource, options?: PredictOptions): Promise<Predictions>;
export async function predictLogits(model: Model, input: tf.Tensor4D | BatchSource, options: PredictOptions = {}): Promise<tf.Tensor2D | Predictions> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  if (input instanceof tf.Tensor) return predictTensor(model, input, batchSize);
  return predictSource(model, input, batchSize);
}

/** Inference-mode logits of one batch: through `predict` where the model has it (its forward pass is asynchronous). */
async function logitsOf(model: Model, x: tf.Tensor4D): Promise<tf.Tensor2D> {
  if (model.predict) return model.predict(x);
  return tf.tidy(() => model.apply(x, { training: false }));
}

async function predictTensor(model: Model, x: tf.Tensor4D, batchSize: number): Promise<tf.Tensor2D> {
  const n = x.shape[0];
  if (n <= batchSize) return logitsOf(model, x);
  const parts: tf.Tensor2D[] = [];
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    const slice = tf.slice(x, [start, 0, 0, 0], [size, -1, -1, -1]);
    try {
      parts.push(await logitsOf(model, slice));
    } finally {
      slice.dispose();
    }
  }
  const out = tf.concat(parts, 0);
  tf.dispose(parts);
  return out;
}

async function predictSource(model: Model, source: BatchSource, batchSize: number): Promise<Predictions> {
  const k = source.numClasses;
  const index = new Uint32Array(source.size);
  const logits = new Float32Array(source.size * k);
  let labels: Int32Array | undefined;
  let filled = 0;
  for await (const batch of source.batches({ epoch: 0, batchSize, seed: 0, stream: 'predict', shuffle: false, dropLast: false })) {
    try {
      const n = batch.index.length;
      const out = await logitsOf(model, batch.x);
      logits.set(await out.data(), filled * k);
      out.dispose();
      index.set(batch.index, filled);
      if (batch.labels) {
        labels ??= new Int32Array(source.size);
        labels.set(await batch.labels.data(), filled);
      }
      filled += n;
    } finally {
      disposeBatch(batch);
    }
  }
  if (filled !== source.size) throw new Error(`prediction covered ${filled} of ${source.size} examples`);
  return { index, logits, numClasses: k, ...(labels ? { labels } : {}) };
}

/** Class with the highest logit per row. */
export function argmaxRows(logits: ArrayLike<number>, numClasses: number): Int32Array {
  const rows = logits.length / numClasses;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let k = 1; k < numClasses; k++) if (logits[r * numClasses + k]! > logits[r * numClasses + best]!) best = k;
    out[r] = best;
  }
  return out;
}
