/**
 * Probe mode on stored features: a frozen imported backbone runs over real
 * Fashion-MNIST image shards once, its features go to Arrow feature shards
 * in a store, a head trains on them alone, and moved back onto the backbone
 * it classifies the images exactly as it classified their features.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../ml/backend.js';
import { ArraySource } from '../../ml/data/array-source.js';
import { FeatureSource } from '../../ml/data/feature-source.js';
import { assignProbeHead, extractFeatureShards } from '../../ml/backbones/features.js';
import { backboneFeatures, buildImportedModel, importBackbone, type ImportedBackbone } from '../../ml/backbones/imported.js';
import { storeSaveHandler } from '../../ml/backbones/layers-io.js';
import { train } from '../../ml/train/train.js';
import { decodeFeatureShard, encodeFeatureShard } from '../../storage/arrow/feature-shard.js';
import { decodeImageShard, encodeImageShard } from '../../storage/arrow/image-shard.js';
import { openStore } from '../../storage/open.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { loadFashionMnist, FASHION_MNIST_NORMALIZATION } from './helpers/fashion-mnist.js';

const DATASET = 'f'.repeat(64);
const SHARD_ROWS = 200;
const SHARDS = 2;
const INPUT = { size: [14, 14] as [number, number], mean: [0.5], std: [0.5] };
const NORMALIZATION = { mean: [...FASHION_MNIST_NORMALIZATION.mean], std: [...FASHION_MNIST_NORMALIZATION.std] };

let dir: string;
let store: ObjectStore;
let backbone: ImportedBackbone;

before(async () => {
  await initBackend();
  dir = await mkdtemp(join(tmpdir(), 'w2s-probe-'));
  store = openStore(dir);
  // A small Keras-like backbone over 14x14 grey images (Fashion-MNIST is resized to it).
  const input = tf.input({ shape: [14, 14, 1] });
  let y = tf.layers.conv2d({ filters: 12, kernelSize: 3, activation: 'relu', kernelInitializer: tf.initializers.heNormal({ seed: 5 }), name: 'conv' }).apply(input) as tf.SymbolicTensor;
  y = tf.layers.maxPooling2d({ poolSize: 2, name: 'pool' }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.flatten({ name: 'flat' }).apply(y) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, activation: 'softmax', name: 'classifier' }).apply(y) as tf.SymbolicTensor;
  const net = tf.model({ inputs: input, outputs: out });
  await net.save(storeSaveHandler(store, 'backbone'));
  net.dispose();
  backbone = await importBackbone(store, 'backbone');
  // Real images in image shards, as ingest writes them.
  const data = await loadFashionMnist();
  const pixels = 28 * 28;
  for (let s = 0; s < SHARDS; s++) {
    const rows = Array.from({ length: SHARD_ROWS }, (_, i) => s * SHARD_ROWS + i);
    await store.put(`datasets/${DATASET}/transfer/shard-0000${s}.arrow`, encodeImageShard({
      metadata: { datasetId: DATASET, split: 'transfer', shape: [28, 28, 1], classNames: Array.from({ length: 10 }, (_, k) => `class${k}`) },
      index: Uint32Array.from(rows, (r) => 5000 + r),
      labels: Int16Array.from(rows, (r) => data.train.labels[r]!),
      images: data.train.images.subarray(rows[0]! * pixels, (rows.at(-1)! + 1) * pixels),
    }));
  }
});

after(async () => {
  backbone?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function imageShardSource(key: string): Promise<{ source: ArraySource; labels: Int16Array }> {
  const shard = decodeImageShard(await store.get(key), store.uriOf(key), { datasetId: DATASET, shape: [28, 28, 1] });
  const source = new ArraySource({ images: shard.images, labels: shard.labels!, index: shard.index, shape: [28, 28, 1], numClasses: 10, normalization: NORMALIZATION }, store.uriOf(key));
  return { source, labels: shard.labels! };
}

test('features of image shards go to feature shards, a head trains on them alone, and moved onto the backbone it classifies the images the same way', async () => {
  assert.equal(backbone.layer, 'flat');
  assert.equal(backbone.featureDim, 6 * 6 * 12);
  const extract = backboneFeatures(backbone, INPUT, NORMALIZATION, [28, 28, 1]);
  const imageKeys = (await store.list(`datasets/${DATASET}/transfer/`)).sort();
  assert.equal(imageKeys.length, SHARDS);
  const inputs = await Promise.all(imageKeys.map(async (key) => ({ shard: key, source: (await imageShardSource(key)).source })));
  const written: string[] = [];
  await extractFeatureShards(extract, backbone.featureDim, inputs, async (f) => {
    const key = `features/${backbone.sha256.slice(0, 16)}/${f.shard.split('/').at(-1)}`;
    await store.put(key, encodeFeatureShard({ metadata: { backboneSha256: backbone.sha256, featureDim: f.featureDim, datasetId: DATASET, split: 'transfer' }, index: f.index, features: f.features }));
    written.push(key);
  });
  assert.equal(written.length, SHARDS);

  // Read back, checked against the backbone that should have made them, and joined with the image shards' labels.
  const shards = await Promise.all(written.map(async (key) => decodeFeatureShard(await store.get(key), store.uriOf(key), { backboneSha256: backbone.sha256, featureDim: backbone.featureDim, datasetId: DATASET, rows: SHARD_ROWS })));
  const labels = (await Promise.all(imageKeys.map(async (key) => (await imageShardSource(key)).labels))).flatMap((l) => [...l]);
  const features = new Float32Array(SHARDS * SHARD_ROWS * backbone.featureDim);
  shards.forEach((s, i) => features.set(s.features, i * SHARD_ROWS * backbone.featureDim));
  const index = Uint32Array.from(shards.flatMap((s) => [...s.index]));
  assert.deepEqual([...index.slice(0, 3)], [5000, 5001, 5002], 'rows keep the image shards\' order and example ids');
  // Recomputing one image's features gives the stored vector.
  const first = (await imageShardSource(imageKeys[0]!)).source;
  for await (const batch of first.batches({ epoch: 0, batchSize: 4, seed: 0, stream: 'check', shuffle: false, dropLast: false })) {
    const again = extract(batch.x);
    assert.deepEqual(await again.data(), features.subarray(0, 4 * backbone.featureDim));
    tf.dispose([again, batch.x, batch.labels!]);
    break;
  }

  const source = new FeatureSource({ features, featureDim: backbone.featureDim, numClasses: 10, index, labels });
  const result = await train({
    config: { model: 'linear', epochs: 4, batchSize: 40, seed: 2, optimizer: { name: 'adam', lr: 0.01, weightDecay: 0 }, schedule: { name: 'constant' }, loss: { method: 'ceiling' } },
    source,
    stream: 'probe-head',
  });
  const losses = result.history.map((m) => m.loss.total!);
  assert.ok(losses[3]! < losses[0]! - 0.2, `the head learns from features alone: ${losses.join(' -> ')}`);
  assert.ok(result.history[3]!.trainAccuracy! > 0.5, `training accuracy ${result.history[3]!.trainAccuracy}`);

  const model = buildImportedModel({ backbone, mode: 'probe', dataNormalization: NORMALIZATION, dataShape: [28, 28, 1], numClasses: 10, seed: 0, input: INPUT });
  assignProbeHead(model, result.model);
  for await (const batch of first.batches({ epoch: 0, batchSize: 16, seed: 0, stream: 'check', shuffle: false, dropLast: false })) {
    const fromImages = model.apply(batch.x, { training: false });
    const fromFeatures = result.model.apply(tf.tensor4d(features.subarray(0, 16 * backbone.featureDim), [16, 1, 1, backbone.featureDim]), { training: false });
    const gap = tf.max(tf.abs(tf.sub(fromImages, fromFeatures))).dataSync()[0]!;
    assert.ok(gap < 1e-4, `logits from images and from stored features differ by ${gap}`);
    tf.dispose([fromImages, fromFeatures, batch.x, batch.labels!]);
    break;
  }
  model.dispose();
  result.model.dispose();
});
