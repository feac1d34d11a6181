/**
 * A BatchSource over precomputed feature vectors (a frozen backbone's, read
 * from feature shards): each batch's `x` is `[n, 1, 1, D]`, so the zoo's
 * `linear` model is the probe head and the whole training loop (losses,
 * teacher logits, checkpoints, bit-identical resume) applies unchanged.
 * Epoch order is the same pure function of (seed, stream, epoch) as
 * ArraySource's.
 */
import * as tf from '@tensorflow/tfjs';
import { BadInputError } from '../../core/errors.js';
import { Rng } from '../../core/random.js';
import { batchesPerEpoch, type Batch, type BatchSource, type EpochOptions, type ImageShape } from './batches.js';

export interface FeatureDataset {
  /** `size * featureDim` values, row-major. */
  readonly features: Float32Array;
  readonly featureDim: number;
  readonly numClasses: number;
  /** Example ids (the shards' `index` column). */
  readonly index: Uint32Array;
  /** One class per row, aligned with `index`. */
  readonly labels?: ArrayLike<number>;
  /** `size * numClasses` teacher logits, aligned with `index`. */
  readonly teacherLogits?: Float32Array;
}

export class FeatureSource implements BatchSource {
  readonly size: number;
  readonly shape: ImageShape;
  readonly numClasses: number;

  constructor(
    readonly data: FeatureDataset,
    private readonly where = 'feature dataset',
  ) {
    const { features, featureDim, numClasses, index, labels, teacherLogits } = data;
    if (!Number.isInteger(featureDim) || featureDim < 1) throw new BadInputError(where, `feature dimension must be a positive integer, got ${featureDim}`);
    if (features.length !== index.length * featureDim) throw new BadInputError(where, `${features.length} feature values for ${index.length} rows of ${featureDim}`);
    if (labels && labels.length !== index.length) throw new BadInputError(where, `${labels.length} labels for ${index.length} rows`);
    if (teacherLogits && teacherLogits.length !== index.length * numClasses) throw new BadInputError(where, `${teacherLogits.length} teacher logits for ${index.length} rows x ${numClasses} classes`);
    if (labels) {
      for (let i = 0; i < labels.length; i++) {
        const label = labels[i]!;
        if (!Number.isInteger(label) || label < 0 || label >= numClasses) throw new BadInputError(where, `label ${label} of example ${index[i]} is outside 0..${numClasses - 1}`);
      }
    }
    this.size = index.length;
    this.shape = [1, 1, featureDim];
    this.numClasses = numClasses;
  }

  async *batches(options: EpochOptions): AsyncIterable<Batch> {
    const { epoch, batchSize, seed, stream, shuffle, dropLast } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new BadInputError(this.where, `batch size must be a positive integer, got ${batchSize}`);
    const count = batchesPerEpoch(this.size, batchSize, dropLast);
    const startBatch = options.startBatch ?? 0;
    if (!Number.isInteger(startBatch) || startBatch < 0 || startBatch > count) throw new BadInputError(this.where, `startBatch ${startBatch} is outside the epoch's ${count} batches`);
    const order = shuffle ? Rng.keyed(seed, stream, 'shuffle', epoch).permutation(this.size) : Uint32Array.from({ length: this.size }, (_, i) => i);
    for (let b = startBatch; b < count; b++) yield this.build(order.subarray(b * batchSize, Math.min((b + 1) * batchSize, this.size)));
  }

  private build(rows: Uint32Array): Batch {
    const { features, featureDim: d, index, labels, teacherLogits, numClasses: k } = this.data;
    const n = rows.length;
    const x = new Float32Array(n * d);
    rows.forEach((row, i) => x.set(features.subarray(row * d, (row + 1) * d), i * d));
    const batch: { index: Uint32Array; x: tf.Tensor4D; labels?: tf.Tensor1D; teacherLogits?: tf.Tensor2D } = {
      index: Uint32Array.from(rows, (row) => index[row]!),
      x: tf.tensor4d(x, [n, 1, 1, d]),
    };
    if (labels) batch.labels = tf.tensor1d(Int32Array.from(rows, (row) => labels[row]!), 'int32');
    if (teacherLogits) {
      const logits = new Float32Array(n * k);
      rows.forEach((row, i) => logits.set(teacherLogits.subarray(row * k, (row + 1) * k), i * k));
      batch.teacherLogits = tf.tensor2d(logits, [n, k]);
    }
    return batch;
  }
}
