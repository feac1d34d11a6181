/**
 * The images a pretraining learns from, in a form that depends on the images
 * alone: every row of the given shards in the order of its dataset index,
 * normalised with their own statistics, and a content hash over them. How a
 * run's seed or split fractions spread the training images over W, S and
 * validation changes shard hashes and the manifest's statistics, not this,
 * so a pretraining is one cache entry for every such run. Labels are read
 * only when asked for (supervised pretraining), and then hashed with the
 * images: other labels are another pretraining.
 */
import { createHash } from 'node:crypto';
import { BadInputError } from '../core/errors.js';
import { ArraySource, type Normalization } from '../ml/data/array-source.js';
import type { ShardRef } from '../schemas/stages.js';
import type { ObjectStore } from '../storage/object-store.js';
import { decodeImageShard, type ImageShard } from '../storage/arrow/image-shard.js';
import type { Manifest } from '../schemas/manifest.js';
import { getVerified } from './stores.js';

export interface PretrainImages {
  readonly source: ArraySource;
  /** sha256 over the shape, the sorted dataset indices and the images in that order (and the labels, where read). */
  readonly sha256: string;
  readonly count: number;
}

export async function pretrainImages(store: ObjectStore, manifest: Manifest, shards: readonly ShardRef[], withLabels = false): Promise<PretrainImages> {
  const [h, w, c] = manifest.shape;
  const imageBytes = h * w * c;
  const decoded: ImageShard[] = [];
  for (const shard of shards) decoded.push(decodeImageShard(await getVerified(store, shard, 'image shard'), store.uriOf(shard.key), { shape: manifest.shape, rows: shard.rows }));
  const rows = decoded.flatMap((shard, s) => Array.from(shard.index, (index, row) => ({ index, s, row })));
  rows.sort((a, b) => a.index - b.index);
  const index = new Uint32Array(rows.length);
  const images = new Uint8Array(rows.length * imageBytes);
  const labels = withLabels ? new Int16Array(rows.length) : undefined;
  rows.forEach(({ index: id, s, row }, i) => {
    const shard = decoded[s]!;
    if (i > 0 && index[i - 1] === id) throw new BadInputError(shard.uri, `dataset index ${id} appears in two of the pretraining's shards`);
    index[i] = id;
    images.set(shard.images.subarray(row * imageBytes, (row + 1) * imageBytes), i * imageBytes);
    if (labels) {
      const label = shard.labels?.[row] ?? -1;
      if (label < 0) throw new BadInputError(shard.uri, `row ${row} (dataset index ${id}) has no label; supervised pretraining needs labelled images`);
      labels[i] = label;
    }
  });
  const hash = createHash('sha256').update(JSON.stringify(manifest.shape)).update(new Uint8Array(index.buffer)).update(images);
  if (labels) hash.update(new Uint8Array(labels.buffer));
  const sha256 = hash.digest('hex');
  const source = new ArraySource({ images, index, shape: manifest.shape, numClasses: manifest.classes.length, ...(labels ? { labels } : {}), normalization: channelStatistics(images, c) }, 'pretraining images');
  return { source, sha256, count: rows.length };
}

/** Per-channel mean and standard deviation of the pixels in [0, 1]. */
function channelStatistics(images: Uint8Array, channels: number): Normalization {
  const sum = new Float64Array(channels);
  const squares = new Float64Array(channels);
  for (let i = 0; i < images.length; i++) {
    const v = images[i]! / 255;
    const k = i % channels;
    sum[k] = sum[k]! + v;
    squares[k] = squares[k]! + v * v;
  }
  const n = images.length / channels;
  const mean = Array.from(sum, (s) => s / n);
  const std = Array.from(squares, (q, k) => Math.sqrt(Math.max(q / n - mean[k]! ** 2, 0)) || 1);
  return { mean, std };
}
