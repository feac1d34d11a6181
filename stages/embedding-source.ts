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
import { BadInputError } from '../core/errors.js';
import type { BatchSource } from '../ml/data/batches.js';
import type { Manifest } from '../schemas/manifest.js';
import { decodeEmbeddingShard } from '../storage/arrow/embedding-shard.js';
import { decodeSoftLabelShard } from '../storage/arrow/soft-label-shard.js';
import type { ObjectStore } from '../storage/object-store.js';
import type { ShardSourceRequest } from './data.js';
import { ShardOrderedFeatures } from './shard-ordered-features.js';
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
  const data = { features: vectors, featureDim: dim, numClasses: k, index, labels, ...(logits ? { teacherLogits: logits } : {}) };
  return new ShardOrderedFeatures(data, shards.map((s) => s.rows), 'embedding shards');
}
