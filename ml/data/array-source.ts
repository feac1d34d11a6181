/**
 * An in-memory BatchSource over typed arrays: uint8 NHWC images, optional
 * integer labels, optional float32 teacher logits. Epoch e's order is a pure
 * function of (seed, stream, e), so a resumed run sees exactly the batches an
 * uninterrupted one would, and `startBatch` skips ahead without building the
 * skipped batches.
 */
import * as tf from '@tensorflow/tfjs';
import { BadInputError } from '../../core/errors.js';
import { Rng } from '../../core/random.js';
import { batchesPerEpoch, type Batch, type BatchSource, type EpochOptions, type ImageShape } from './batches.js';

/** Per-channel statistics in [0, 1] pixel units: x = (pixel / 255 - mean) / std. */
export interface Normalization {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

export interface ArrayDataset {
  /** `size * h * w * c` bytes, NHWC. */
  readonly images: Uint8Array;
  readonly shape: ImageShape;
  readonly numClasses: number;
  readonly normalization: Normalization;
  /** One class index per image. */
  readonly labels?: ArrayLike<number>;
  /** `size * numClasses` teacher logits, row per image. */
  readonly teacherLogits?: Float32Array;
  /** Stable example ids (the shards' `index` column); defaults to 0..size-1. */
  readonly index?: Uint32Array;
}

export class ArraySource implements BatchSource {
  readonly size: number;
  readonly shape: ImageShape;
  readonly numClasses: number;
  private readonly imageSize: number;
  private readonly lookup: Float32Array;

  constructor(
    readonly data: ArrayDataset,
    private readonly where = 'array dataset',
  ) {
    const [h, w, c] = data.shape;
    this.shape = data.shape;
    this.numClasses = data.numClasses;
    this.imageSize = h * w * c;
    if (!(this.imageSize > 0) || data.images.length % this.imageSize !== 0) {
      throw new BadInputError(where, `${data.images.length} image bytes is not a whole number of ${h}x${w}x${c} images`);
    }
    this.size = data.images.length / this.imageSize;
    this.validate();
    this.lookup = normalizationTable(data.normalization, c, where);
  }

  async *batches(options: EpochOptions): AsyncIterable<Batch> {
    const { epoch, batchSize, seed, stream, shuffle, dropLast } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new BadInputError(this.where, `batch size must be a positive integer, got ${batchSize}`);
    const count = batchesPerEpoch(this.size, batchSize, dropLast);
    const startBatch = options.startBatch ?? 0;
    if (!Number.isInteger(startBatch) || startBatch < 0 || startBatch > count) {
      throw new BadInputError(this.where, `startBatch ${startBatch} is outside the epoch's ${count} batches`);
    }
    const order = shuffle ? Rng.keyed(seed, stream, 'shuffle', epoch).permutation(this.size) : identity(this.size);
    for (let b = startBatch; b < count; b++) {
      yield this.build(order.subarray(b * batchSize, Math.min((b + 1) * batchSize, this.size)));
    }
  }

  /** A new source holding the given rows (copied), in that order. */
  select(rows: ArrayLike<number>): ArraySource {
    const { data } = this;
    const n = rows.length;
    const k = this.numClasses;
    const images = new Uint8Array(n * this.imageSize);
    const index = new Uint32Array(n);
    const labels = data.labels ? new Int32Array(n) : undefined;
    const teacherLogits = data.teacherLogits ? new Float32Array(n * k) : undefined;
    for (let i = 0; i < n; i++) {
      const row = rows[i]!;
      if (!Number.isInteger(row) || row < 0 || row >= this.size) throw new BadInputError(this.where, `row ${row} is outside 0..${this.size - 1}`);
      images.set(data.images.subarray(row * this.imageSize, (row + 1) * this.imageSize), i * this.imageSize);
      index[i] = data.index ? data.index[row]! : row;
      if (labels) labels[i] = data.labels![row]!;
      if (teacherLogits) teacherLogits.set(data.teacherLogits!.subarray(row * k, (row + 1) * k), i * k);
    }
    return new ArraySource({ ...data, images, index, labels, teacherLogits }, this.where);
  }

  /** The same images with these teacher logits (row per image, in this source's order). */
  withTeacherLogits(teacherLogits: Float32Array): ArraySource {
    return new ArraySource({ ...this.data, teacherLogits }, this.where);
  }

  /** The same images without ground truth, so that a student cannot learn from it by mistake. */
  withoutLabels(): ArraySource {
    return new ArraySource({ ...this.data, labels: undefined }, this.where);
  }

  private build(rows: Uint32Array): Batch {
    const { data, imageSize, lookup } = this;
    const [h, w, c] = this.shape;
    const n = rows.length;
    const pixels = new Float32Array(n * imageSize);
    const index = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const row = rows[i]!;
      const offset = row * imageSize;
      const out = i * imageSize;
      for (let p = 0; p < imageSize; p++) pixels[out + p] = lookup[(p % c) * 256 + data.images[offset + p]!]!;
      index[i] = data.index ? data.index[row]! : row;
    }
    const x = tf.tensor4d(pixels, [n, h, w, c]);
    const labels = data.labels ? tf.tensor1d(Int32Array.from(rows, (row) => data.labels![row]!), 'int32') : undefined;
    let teacherLogits: tf.Tensor2D | undefined;
    if (data.teacherLogits) {
      const k = this.numClasses;
      const logits = new Float32Array(n * k);
      for (let i = 0; i < n; i++) logits.set(data.teacherLogits.subarray(rows[i]! * k, (rows[i]! + 1) * k), i * k);
      teacherLogits = tf.tensor2d(logits, [n, k]);
    }
    return { index, x, ...(labels ? { labels } : {}), ...(teacherLogits ? { teacherLogits } : {}) };
  }

  private validate(): void {
    const { data, size, where } = this;
    if (!Number.isInteger(this.numClasses) || this.numClasses < 1) throw new BadInputError(where, `numClasses must be a positive integer, got ${this.numClasses}`);
    if (data.labels) {
      if (data.labels.length !== size) throw new BadInputError(where, `${data.labels.length} labels for ${size} images`);
      for (let i = 0; i < size; i++) {
        const label = data.labels[i]!;
        if (!Number.isInteger(label) || label < 0 || label >= this.numClasses) {
          throw new BadInputError(where, `label ${label} of image ${i} is outside 0..${this.numClasses - 1}`);
        }
      }
    }
    if (data.teacherLogits && data.teacherLogits.length !== size * this.numClasses) {
      throw new BadInputError(where, `${data.teacherLogits.length} teacher logits for ${size} images x ${this.numClasses} classes`);
    }
    if (data.index && data.index.length !== size) throw new BadInputError(where, `${data.index.length} indices for ${size} images`);
  }
}

/** 256 normalised values per channel, so building a batch is one table lookup per byte. */
function normalizationTable({ mean, std }: Normalization, channels: number, where: string): Float32Array {
  if (mean.length !== channels || std.length !== channels) {
    throw new BadInputError(where, `normalization needs ${channels} means and stds, got ${mean.length} and ${std.length}`);
  }
  const table = new Float32Array(channels * 256);
  for (let ch = 0; ch < channels; ch++) {
    const s = std[ch]!;
    if (!(s > 0)) throw new BadInputError(where, `std of channel ${ch} must be positive, got ${s}`);
    for (let v = 0; v < 256; v++) table[ch * 256 + v] = (v / 255 - mean[ch]!) / s;
  }
  return table;
}

function identity(n: number): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}
