import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readIdxImages, readIdxLabels } from '../../../storage/readers/idx.js';
import { decodeImageShard } from '../../../storage/arrow/image-shard.js';
import { ingestDataset } from '../../../storage/ingest/ingest.js';
import { readManifest, serializeManifest } from '../../../storage/ingest/manifest-io.js';
import { openStore } from '../../../storage/open.js';
import { splitEntries } from '../../../schemas/manifest.js';
import { manifestKey, shardKey } from '../../../storage/layout.js';

const FASHION = '/usr/share/datasets/fashion-mnist';
const FASHION_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

test('the manifest names Fashion-MNIST\'s classes (IDX files carry none); given names still win', async () => {
  const root = await mkdtemp(join(tmpdir(), 'w2s-fmnist-names-'));
  try {
    const limit = { train: 300, test: 100 };
    const known = await ingestDataset({ source: FASHION, format: 'idx', store: openStore(join(root, 'a')), seed: 0, options: { limit } });
    assert.deepEqual(known.classes, FASHION_CLASSES);
    const given = Array.from({ length: 10 }, (_, k) => `c${k}`);
    const named = await ingestDataset({ source: FASHION, format: 'idx', store: openStore(join(root, 'b')), seed: 0, options: { limit, classNames: given } });
    assert.deepEqual(named.classes, given);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('Fashion-MNIST ingests twice with the same dataset id and byte-identical shards', async () => {
  const root = await mkdtemp(join(tmpdir(), 'w2s-fmnist-'));
  try {
    const first = await ingestDataset({ source: FASHION, format: 'idx', store: openStore(join(root, 'a')), seed: 0 });
    const store = openStore(join(root, 'b'));
    const second = await ingestDataset({ source: FASHION, format: 'idx', store, seed: 0 });
    assert.equal(second.datasetId, first.datasetId);
    assert.equal(serializeManifest(second), serializeManifest(first));
    const manifestA = await readFile(join(root, 'a', manifestKey(first.datasetId)));
    assert.deepEqual(await readFile(join(root, 'b', manifestKey(first.datasetId))), manifestA);

    // A rerun into the same store is idempotent.
    const rerun = await ingestDataset({ source: FASHION, format: 'idx', store, seed: 0 });
    assert.equal(rerun.datasetId, first.datasetId);

    const manifest = await readManifest(store, first.datasetId);
    assert.deepEqual(manifest.shape, [28, 28, 1]);
    assert.deepEqual(manifest.classes, FASHION_CLASSES);
    assert.deepEqual(
      splitEntries(manifest).map(([, entry]) => entry.rows),
      [30000, 30000, 0, 10000],
    );
    // Stratified: each class is split evenly between W and S, and t10k is the test split.
    assert.deepEqual(manifest.splits.weak.classCounts, new Array(10).fill(3000));
    assert.deepEqual(manifest.splits.transfer.classCounts, new Array(10).fill(3000));
    assert.deepEqual(manifest.splits.test.classCounts, new Array(10).fill(1000));
    assert.equal(manifest.splits.weak.shards.length, Math.ceil(30000 / 4096));
    assert.ok(Math.abs(manifest.normalization.mean[0]! - 0.286) < 0.001, `mean ${manifest.normalization.mean}`);
    assert.ok(Math.abs(manifest.normalization.std[0]! - 0.353) < 0.001, `std ${manifest.normalization.std}`);

    // Every example lands once, with its own label and pixels.
    const train = await readIdxImages(join(FASHION, 'train-images-idx3-ubyte.gz'));
    const trainLabels = await readIdxLabels(join(FASHION, 'train-labels-idx1-ubyte.gz'));
    const testImages = await readIdxImages(join(FASHION, 't10k-images-idx3-ubyte.gz'));
    const testLabels = await readIdxLabels(join(FASHION, 't10k-labels-idx1-ubyte.gz'));
    const seen = new Uint8Array(70000);
    for (const [split, { shards }] of splitEntries(manifest)) {
      for (const entry of shards) {
        const key = shardKey(manifest.datasetId, entry.path);
        const shard = decodeImageShard(await store.get(key), store.uriOf(key), { datasetId: manifest.datasetId, split, rows: entry.rows, shape: [28, 28, 1] });
        for (let row = 0; row < shard.rows; row++) {
          const index = shard.index[row]!;
          assert.equal(seen[index], 0, `index ${index} twice`);
          seen[index] = 1;
          assert.equal(split === 'test', index >= 60000, `index ${index} in ${split}`);
          const [images, labels, at] = index < 60000 ? [train.data, trainLabels, index] : [testImages.data, testLabels, index - 60000];
          assert.equal(shard.labels![row], labels[at]);
          if (row % 97 === 0) assert.deepEqual(shard.images.subarray(row * 784, (row + 1) * 784), images.subarray(at * 784, (at + 1) * 784));
        }
      }
    }
    assert.equal(seen.reduce((a, b) => a + b, 0), 70000);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('the seed and the options change the dataset id; the store does not', async () => {
  const root = await mkdtemp(join(tmpdir(), 'w2s-fmnist-'));
  try {
    const options = { limit: { train: 2000, test: 500 }, shardSize: 300 };
    const base = await ingestDataset({ source: FASHION, format: 'idx', store: openStore(join(root, 'a')), seed: 1, options });
    const elsewhere = await ingestDataset({ source: FASHION, format: 'idx', store: openStore(`file://${join(root, 'b')}`), seed: 1, options });
    const reseeded = await ingestDataset({ source: FASHION, format: 'idx', store: openStore(join(root, 'a')), seed: 2, options });
    const resharded = await ingestDataset({ source: FASHION, format: 'idx', store: openStore(join(root, 'a')), seed: 1, options: { ...options, shardSize: 400 } });
    assert.equal(elsewhere.datasetId, base.datasetId);
    assert.notEqual(reseeded.datasetId, base.datasetId);
    assert.notEqual(resharded.datasetId, base.datasetId);
    assert.equal(base.splits.weak.rows + base.splits.transfer.rows, 2000);
    assert.equal(base.splits.test.rows, 500);
    assert.equal(base.splits.weak.shards.length, Math.ceil(base.splits.weak.rows / 300));
    assert.deepEqual(base.transforms, [{ kind: 'limit', train: 2000, test: 500 }]);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
