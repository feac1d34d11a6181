/**
 * The contract between data loaders (storage/, or in-memory arrays) and the
 * training loop (ml/train): a source of seeded, resumable batches.
 */
import type { Tensor1D, Tensor2D, Tensor4D } from '@tensorflow/tfjs';
import type { ImageShape } from '../../schemas/manifest.js';

export type { ImageShape } from '../../schemas/manifest.js';

export interface Batch {
  /** Stable example indices (the `index` column of the shards). */
  readonly index: Uint32Array;
  /** Images as float32 NHWC, normalised with the dataset's mean and std. */
  readonly x: Tensor4D;
  /** Ground-truth labels (int32); absent when the split carries none. */
  readonly labels?: Tensor1D;
  /** Teacher logits joined by index; present when the source has soft labels. */
  readonly teacherLogits?: Tensor2D;
}

export interface EpochOptions {
  readonly epoch: number;
  readonly batchSize: number;
  /** Run seed; the order of epoch e is a pure function of (seed, stream, e). */
  readonly seed: number;
  /** Distinguishes independent streams over the same data (e.g. the stage name). */
  readonly stream: string;
  readonly shuffle: boolean;
  /** First batch to yield, for resuming mid-epoch; earlier batches are skipped without being built. */
  readonly startBatch?: number;
  /** Drop a final batch smaller than batchSize (training), or keep it (evaluation). */
  readonly dropLast: boolean;
}

export interface BatchSource {
  /** Number of examples. */
  readonly size: number;
  readonly shape: ImageShape;
  readonly numClasses: number;
  /** Batches of one epoch. The consumer owns and disposes each batch's tensors. */
  batches(options: EpochOptions): AsyncIterable<Batch>;
}

/** The same source with each batch passed through `map` (which owns the batch it is given). */
export function mapBatches(source: BatchSource, map: (batch: Batch) => Batch | Promise<Batch>): BatchSource {
  return {
    size: source.size,
    shape: source.shape,
    numClasses: source.numClasses,
    async *batches(options) {
      for await (const batch of source.batches(options)) yield await map(batch);
    },
  };
}

export function batchesPerEpoch(size: number, batchSize: number, dropLast: boolean): number {
  return dropLast ? Math.floor(size / batchSize) : Math.ceil(size / batchSize);
}
