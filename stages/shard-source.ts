/**
 * A BatchSource over image shards in any object store: the training loader,
 * where storage's shards become ml's batches (so neither library knows the other).
 *
 * - Order: EpochOrder (seeded shard order, seeded rows within each shard);
 *   `startBatch` locates its first example directly, so a resumed epoch
 *   reads no shard and builds no batch before it.
 * - Batches: float32 NHWC normalised with the manifest's per-channel mean
 *   and std (a 256-entry table per channel), int32 labels, and teacher
 *   logits joined by example index when soft-label shards are given.
 * - IO: shards come through ShardFetcher (sha256-verified, cached locally
 *   when remote); the next shard in the order loads while the current one
 *   is being batched, so at most two shards are held. Each held shard is
 *   read into its own pair of reusable buffers (image and soft-label
 *   shard) and its decoded columns are views of them; a pair goes back to
 *   the pool only once its shard is dropped, and batches copy what they
 *   take, so no read overwrites bytes that anything still views.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { BadInputError } from '../core/errors.js';
import { batchesPerEpoch, type Batch, type BatchSource, type EpochOptions, type ImageShape } from '../ml/data/batches.js';
import type { Manifest } from '../schemas/manifest.js';
import type { ShardRef } from '../schemas/stages.js';
import {
  decodeImageShard,
  decodeSoftLabelShard,
  EpochOrder,
  joinSoftLabels,
  ReadBuffer,
  ShardFetcher,
  type ImageShard,
  type ObjectStore,
} from '../storage/index.js';

export interface ShardSourceOptions {
  readonly store: ObjectStore;
  readonly manifest: Manifest;
  /** The image shards to read, e.g. from `shardsOf(store, manifest, ['transfer'])`. */
  readonly shards: readonly ShardRef[];
  /** Soft-label shards, one per image shard in the same order. */
  readonly softLabels?: readonly ShardRef[];
  /** When given, every soft-label shard must come from this teacher checkpoint. */
  readonly teacherSha256?: string;
  /** Local cache for shards of a remote store (default: `<tmp>/w2s-shard-cache`). */
  readonly cacheDir?: string;
}

/** Where one held shard is read: its image shard and its soft-label shard. */
interface ShardBuffers {
  readonly images: ReadBuffer;
  readonly softLabels: ReadBuffer;
}

interface LoadedShard {
  readonly images: ImageShard;
  readonly logits: Float32Array | undefined;
  /** The buffers `images` and `logits` view. */
  readonly buffers: ShardBuffers;
}

/** The loader holds the shard being batched and the one loading after it. */
const HELD_SHARDS = 2;

export class ShardBatchSource implements BatchSource {
  readonly size: number;
  readonly shape: ImageShape;
  readonly numClasses: number;
  private readonly fetcher: ShardFetcher;
  private readonly table: Float32Array;

  constructor(private readonly options: ShardSourceOptions) {
    const { manifest, shards, softLabels } = options;
    if (softLabels && softLabels.length !== shards.length) {
      throw new BadInputError('soft labels', `${softLabels.length} soft-label shards for ${shards.length} image shards; give one per image shard`);
    }
    this.size = shards.reduce((n, s) => n + s.rows, 0);
    this.shape = manifest.shape;
    this.numClasses = manifest.classes.length;
    this.fetcher = new ShardFetcher(options.store, options.cacheDir ?? join(tmpdir(), 'w2s-shard-cache'));
    this.table = normalisationTable(manifest);
  }

  async *batches(options: EpochOptions): AsyncGenerator<Batch> {
    const { batchSize, dropLast } = options;
    if (!Number.isInteger(batchSize) || batchSize <= 0) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
    const total = batchesPerEpoch(this.size, batchSize, dropLast);
    const first = options.startBatch ?? 0;
    if (first >= total) return;
    const order = new EpochOrder(
      this.options.shards.map((s) => s.rows),
      { seed: options.seed, stream: options.stream, epoch: options.epoch, shuffle: options.shuffle },
    );
    let { visit, offset } = order.locate(first * batchSize);
    const free: ShardBuffers[] = Array.from({ length: HELD_SHARDS }, () => ({ images: new ReadBuffer(), softLabels: new ReadBuffer() }));
    const take = (): ShardBuffers => {
      const buffers = free.pop();
      if (!buffers) throw new Error(`shard loader: more than ${HELD_SHARDS} shards held at once`);
      return buffers;
    };
    const prefetch = (at: number): Promise<LoadedShard> | undefined => {
      if (at >= order.shards.length) return undefined;
      const loading = this.load(order.shards[at]!, take());
      // A consumer may stop before it needs this shard; its failure then concerns no one.
      loading.catch(() => undefined);
      return loading;
    };
    let next = prefetch(visit + 1);
    let current = await this.load(order.shards[visit]!, take());
    let rows = order.rows(order.shards[visit]!);

    const [height, width, channels] = this.shape;
    const imageSize = height * width * channels;
    for (let b = first; b < total; b++) {
      const n = Math.min(batchSize, this.size - b * batchSize);
      const x = new Float32Array(n * imageSize);
      const index = new Uint32Array(n);
      const labels = new Int32Array(n);
      let hasLabels = true;
      const logits = this.options.softLabels ? new Float32Array(n * this.numClasses) : undefined;
      for (let i = 0; i < n; i++) {
        if (offset >= rows.length) {
          visit++;
          const done = current;
          current = await next!;
          // Nothing views the finished shard any more: its rows were copied into batches.
          free.push(done.buffers);
          next = prefetch(visit + 1);
          rows = order.rows(order.shards[visit]!);
          offset = 0;
        }
        const row = rows[offset++]!;
        index[i] = current.images.index[row]!;
        this.normalise(current.images.images, row * imageSize, imageSize, x, i * imageSize);
        const label = current.images.labels?.[row] ?? -1;
        if (label < 0) hasLabels = false;
        labels[i] = label;
        if (logits && current.logits) logits.set(current.logits.subarray(row * this.numClasses, (row + 1) * this.numClasses), i * this.numClasses);
      }
      yield {
        index,
        x: tf.tensor4d(x, [n, height, width, channels]),
        ...(hasLabels ? { labels: tf.tensor1d(labels, 'int32') } : {}),
        ...(logits ? { teacherLogits: tf.tensor2d(logits, [n, this.numClasses]) } : {}),
      };
    }
  }

  private normalise(src: Uint8Array, from: number, length: number, out: Float32Array, to: number): void {
    const channels = this.shape[2];
    const table = this.table;
    if (channels === 1) {
      for (let p = 0; p < length; p++) out[to + p] = table[src[from + p]!]!;
      return;
    }
    for (let p = 0; p < length; p++) out[to + p] = table[(p % channels) * 256 + src[from + p]!]!;
  }

  private async load(shard: number, buffers: ShardBuffers): Promise<LoadedShard> {
    const ref = this.options.shards[shard]!;
    const { manifest } = this.options;
    const images = decodeImageShard(await this.fetcher.fetch(ref, buffers.images), this.options.store.uriOf(ref.key), {
      datasetId: manifest.datasetId,
      split: ref.split,
      shape: manifest.shape,
      rows: ref.rows,
      numClasses: manifest.classes.length,
    });
    const softRef = this.options.softLabels?.[shard];
    if (!softRef) return { images, logits: undefined, buffers };
    const soft = decodeSoftLabelShard(await this.fetcher.fetch(softRef, buffers.softLabels), this.options.store.uriOf(softRef.key), {
      numClasses: this.numClasses,
      datasetId: manifest.datasetId,
      ...(this.options.teacherSha256 ? { teacherSha256: this.options.teacherSha256 } : {}),
    });
    return { images, logits: joinSoftLabels(images, soft), buffers };
  }
}

/** value -> (value / 255 - mean[c]) / std[c], per channel. */
function normalisationTable(manifest: Manifest): Float32Array {
  const channels = manifest.shape[2];
  const table = new Float32Array(channels * 256);
  for (let c = 0; c < channels; c++) {
    const mean = manifest.normalization.mean[c] ?? 0;
    const std = manifest.normalization.std[c] || 1;
    for (let v = 0; v < 256; v++) table[c * 256 + v] = (v / 255 - mean) / std;
  }
  return table;
}
