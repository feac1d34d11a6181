/**
 * Probe-mode features: a frozen backbone run once over every example, so
 * that each student afterwards trains only its head on the stored vectors
 * (FeatureSource + the zoo's `linear` model), and the trained head moved
 * back onto the backbone for labeling and evaluation on images.
 */
import * as tf from '@tensorflow/tfjs';
import { BadInputError } from '../../core/errors.js';
import type { BatchSource } from '../data/batches.js';
import type { Model } from '../models/model.js';

/**
 * Feature vectors `[batch, D]` of a batch of dataset-normalised images. An
 * extractor frees its own intermediate tensors (a tidy scope cannot span the
 * await of one that runs its model outside TensorFlow.js, an ONNX backbone).
 */
export type FeatureExtractor = (x: tf.Tensor4D) => tf.Tensor2D | Promise<tf.Tensor2D>;

export interface ComputedFeatures {
  readonly index: Uint32Array;
  /** `rows * featureDim`, row-major, in the source's (unshuffled) order. */
  readonly features: Float32Array;
  readonly featureDim: number;
  /** Ground truth where the source has it, aligned with `index`. */
  readonly labels?: Int32Array;
}

/** Runs `extract` over every example of `source` in order (no shuffling, no augmentation); `onBatch` after each batch (a heartbeat). */
export async function computeFeatures(extract: FeatureExtractor, source: BatchSource, featureDim: number, batchSize = 256, onBatch?: () => void): Promise<ComputedFeatures> {
  const index = new Uint32Array(source.size);
  const features = new Float32Array(source.size * featureDim);
  let labels: Int32Array | undefined;
  let row = 0;
  for await (const batch of source.batches({ epoch: 0, batchSize, seed: 0, stream: 'features', shuffle: false, dropLast: false })) {
    try {
      const y = await extract(batch.x);
      const values = (await y.data()) as Float32Array;
      y.dispose();
      if (y.shape[1] !== featureDim) throw new Error(`feature extractor gave ${y.shape[1]} features per example, expected ${featureDim}`);
      features.set(values, row * featureDim);
      index.set(batch.index, row);
      if (batch.labels) {
        labels ??= new Int32Array(source.size);
        labels.set((await batch.labels.data()) as Int32Array, row);
      }
      row += batch.index.length;
      onBatch?.();
    } finally {
      batch.x.dispose();
      batch.labels?.dispose();
      batch.teacherLogits?.dispose();
    }
  }
  if (row !== source.size) throw new Error(`feature source yielded ${row} examples, expected ${source.size}`);
  return { index, features, featureDim, ...(labels ? { labels } : {}) };
}

/** One image shard's worth of features, for whoever writes the feature shard. */
export interface ShardFeatures extends ComputedFeatures {
  /** The image shard they were computed from. */
  readonly shard: string;
}

/**
 * Computes the features of each image shard in turn and hands them to
 * `write` (storage/arrow's `encodeFeatureShard` and a store `put`): one
 * feature shard per image shard, so their indices line up.
 */
export async function extractFeatureShards(
  extract: FeatureExtractor,
  featureDim: number,
  shards: ReadonlyArray<{ readonly shard: string; readonly source: BatchSource }>,
  write: (features: ShardFeatures) => Promise<void>,
): Promise<void> {
  for (const { shard, source } of shards) {
    await write({ shard, ...(await computeFeatures(extract, source, featureDim)) });
  }
}

/**
 * Copies a head trained on features (the zoo's `linear` model over
 * `[1, 1, D]` inputs: `fc/weight`, `fc/bias`) into a probe-mode imported
 * model (`head/weight`, `head/bias`), which then classifies images.
 * `pairs` (`[target name, head name]`) turn it around: a fresh head from
 * the model's.
 */
export function assignProbeHead(target: Model, head: Model, pairs: ReadonlyArray<readonly [string, string]> = [['head/weight', 'fc/weight'], ['head/bias', 'fc/bias']]): void {
  for (const [to, from] of pairs) {
    const dst = target.params.get(to);
    const src = head.params.get(from);
    if (!dst || !src) throw new BadInputError('probe head', `${target.name} has no ${to} or ${head.name} has no ${from}; the head must be a linear model trained on this backbone's features`);
    if (dst.variable.shape.join('x') !== src.variable.shape.join('x')) {
      throw new BadInputError('probe head', `${from} has shape [${src.variable.shape.join(', ')}], ${to} expects [${dst.variable.shape.join(', ')}]`);
    }
    dst.variable.assign(src.variable);
  }
}
