/**
 * Row vectors (probe features, stored embeddings) served in the epoch order
 * of the shards they came from: one batch source for every dataset whose
 * examples are fixed-size vectors held whole in memory.
 */
import * as tf from '@tensorflow/tfjs';
import { batchesPerEpoch, type Batch, type BatchSource, type EpochOptions, type ImageShape } from '../ml/data/batches.js';
import { FeatureSource, type FeatureDataset } from '../ml/data/feature-source.js';
import { EpochOrder } from '../storage/loader/epoch-order.js';

/**
 * Features in the epoch order of the image shards they came from
 * (storage/loader's EpochOrder: shards, then rows within each, both seeded):
 * a probe head sees the batches a student on the images would see, so it
 * learns what that student's classifier would, minus augmentation.
 */
export class ShardOrderedFeatures implements BatchSource {
  readonly size: number;
  readonly shape: ImageShape;
  readonly numClasses: number;
  /** First row of each shard in `data`. */
  private readonly starts: number[];

  constructor(
    private readonly data: FeatureDataset,
    private readonly shardRows: readonly number[],
    where = 'probe features',
  ) {
    // Checks the data (dimensions, labels, teacher logits) as every feature source does.
    const checked = new FeatureSource(data, where);
    this.size = checked.size;
    this.shape = checked.shape;
    this.numClasses = checked.numClasses;
    this.starts = shardRows.map((_, i) => shardRows.slice(0, i).reduce((a, b) => a + b, 0));
    if (shardRows.reduce((a, b) => a + b, 0) !== this.size) throw new Error(`${where}: shards of ${shardRows.join('+')} rows hold ${this.size} examples`);
  }

  async *batches(options: EpochOptions): AsyncIterable<Batch> {
    const { batchSize, dropLast } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
    const order = new EpochOrder(this.shardRows, { seed: options.seed, stream: options.stream, epoch: options.epoch, shuffle: options.shuffle });
    const sequence = new Uint32Array(this.size);
    let at = 0;
    for (const shard of order.shards) {
      for (const row of order.rows(shard)) sequence[at++] = this.starts[shard]! + row;
    }
    const count = batchesPerEpoch(this.size, batchSize, dropLast);
    for (let b = options.startBatch ?? 0; b < count; b++) yield this.build(sequence.subarray(b * batchSize, Math.min((b + 1) * batchSize, this.size)));
  }

  private build(rows: Uint32Array): Batch {
    const { features, featureDim: d, index, labels, teacherLogits, numClasses: k } = this.data;
    const x = new Float32Array(rows.length * d);
    rows.forEach((row, i) => x.set(features.subarray(row * d, (row + 1) * d), i * d));
    const logits = teacherLogits ? new Float32Array(rows.length * k) : undefined;
    if (teacherLogits && logits) rows.forEach((row, i) => logits.set(teacherLogits.subarray(row * k, (row + 1) * k), i * k));
    return {
      index: Uint32Array.from(rows, (row) => index[row]!),
      x: tf.tensor4d(x, [rows.length, 1, 1, d]),
      ...(labels ? { labels: tf.tensor1d(Int32Array.from(rows, (row) => labels[row]!), 'int32') } : {}),
      ...(logits ? { teacherLogits: tf.tensor2d(logits, [rows.length, k]) } : {}),
    };
  }
}
