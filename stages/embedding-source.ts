/**
 * The batch source of a dataset whose examples are vectors (embedding
 * shards): what ShardBatchSource is for image shards. The backbone is the
 * identity, so a batch's `x` is the stored vectors as `[n, 1, 1, D]`, the
 * input the zoo's `linear` and `mlp` models (a probe head) take, with no
 * normalisation, labels, and teacher logits joined by example index.
 *
 * Vectors are small next to images (a DINOv2 ViT-S/14 vector is 1.5 KiB),
 * so the shards asked for are read once, whole, and served in the same
 * epoch order as image shards (EpochOrder: seeded shards, then seeded rows
 * within each).
 */
import * as tf from '@tensorflow/tfjs';
import { BadInputError } from '../core/errors.js';
import { batchesPerEpoch, type Batch, type BatchSource, type EpochOptions, type ImageShape } from '../ml/data/batches.js';
import type { Manifest } from '../schemas/manifest.js';
import { decodeEmbeddingShard } from '../storage/arrow/embedding-shard.js';
import { decodeSoftLabelShard } from '../storage/arrow/soft-label-shard.js';
import { EpochOrder } from '../storage/loader/epoch-order.js';
import type { ObjectStore } from '../storage/object-store.js';
import type { ShardSourceRequest } from './data.js';
import { getVerified } from './stores.js';

export function isEmbeddingDataset(manifest: Manifest): boolean {
  return manifest.examples?.kind === 'embedding';
}

export async function openEmbeddingSource(store: ObjectStore, manifest: Manifest, request: ShardSourceRequest): Promise<BatchSource> {
  const { shards, softLabels } = request;
  if (softLabels && softLabels.length !== shards.length) throw new BadInputError('soft labels', `${softLabels.length} soft-label shards for ${shards.length} embedding shards; give one per shard`);
  const dim = manifest.shape[2];
  const k = manifest.classes.length;
  const rows = shards.reduce((n, s) => n + s.rows, 0);
  const vectors = new Float32Array(rows * dim);
  const index = new Uint32Array(rows);
  const labels = new Int32Array(rows);
  const logits = softLabels ? new Float32Array(rows * k) : undefined;
  let at = 0;
  for (const [i, ref] of shards.entries()) {
    const uri = store.uriOf(ref.key);
    const shard = decodeEmbeddingShard(await getVerified(store, ref, 'embedding shard'), uri, { datasetId: manifest.datasetId, split: ref.split, dim, rows: ref.rows });
    vectors.set(shard.vectors, at * dim);
    index.set(shard.index, at);
    labels.set(shard.labels, at);
    if (softLabels && logits) {
      const softRef = softLabels[i]!;
      const soft = decodeSoftLabelShard(await getVerified(store, softRef, 'soft-label shard'), store.uriOf(softRef.key), {
        datasetId: manifest.datasetId,
        numClasses: k,
        rows: shard.rows,
        ...(request.teacherSha256 ? { teacherSha256: request.teacherSha256 } : {}),
      });
      const rowOf = new Map<number, number>();
      soft.index.forEach((value, row) => rowOf.set(value, row));
      for (let r = 0; r < shard.rows; r++) {
        const row = rowOf.get(shard.index[r]!);
        if (row === undefined) throw new BadInputError(`soft labels ${soft.uri} for embedding shard ${uri}`, `example index ${shard.index[r]} has no logits`);
        logits.set(soft.logits.subarray(row * k, (row + 1) * k), (at + r) * k);
      }
    }
    at += shard.rows;
  }
  return new EmbeddingBatchSource({ vectors, dim, index, labels, ...(logits ? { logits } : {}), numClasses: k }, shards.map((s) => s.rows));
}

interface EmbeddingRows {
  readonly vectors: Float32Array;
  readonly dim: number;
  readonly index: Uint32Array;
  readonly labels: Int32Array;
  readonly logits?: Float32Array;
  readonly numClasses: number;
}

class EmbeddingBatchSource implements BatchSource {
  readonly size: number;
  readonly shape: ImageShape;
  readonly numClasses: number;
  /** First row of each shard. */
  private readonly starts: number[];

  constructor(
    private readonly data: EmbeddingRows,
    private readonly shardRows: readonly number[],
  ) {
    this.size = data.index.length;
    this.shape = [1, 1, data.dim];
    this.numClasses = data.numClasses;
    let start = 0;
    this.starts = shardRows.map((n) => (start += n) - n);
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
    const { vectors, dim: d, index, labels, logits, numClasses: k } = this.data;
    const x = new Float32Array(rows.length * d);
    rows.forEach((row, i) => x.set(vectors.subarray(row * d, (row + 1) * d), i * d));
    const teacher = logits ? new Float32Array(rows.length * k) : undefined;
    if (logits && teacher) rows.forEach((row, i) => teacher.set(logits.subarray(row * k, (row + 1) * k), i * k));
    return {
      index: Uint32Array.from(rows, (row) => index[row]!),
      x: tf.tensor4d(x, [rows.length, 1, 1, d]),
      labels: tf.tensor1d(Int32Array.from(rows, (row) => labels[row]!), 'int32'),
      ...(teacher ? { teacherLogits: tf.tensor2d(teacher, [rows.length, k]) } : {}),
    };
  }
}
