import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeImageShard, type ImageShard } from '../../../storage/arrow/image-shard.js';
import { ingestDataset } from '../../../storage/ingest/ingest.js';
import { readManifest } from '../../../storage/ingest/manifest-io.js';
import { openStore } from '../../../storage/open.js';
import type { ObjectStore } from '../../../storage/object-store.js';
import { splitEntries, type IngestOptionsInput, type Manifest } from '../../../schemas/manifest.js';
import { shardKey } from '../../../storage/layout.js';
import { DatasetConfigSchema } from '../../../schemas/pipeline.js';
import { cifarRecords, pixel, rgbPixels, writeCifar10Source, writeIdxSource, writeImageFolder, writePng } from '../sources.js';

async function withDirs(fn: (source: string, store: ObjectStore) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'w2s-formats-'));
  try {
    await fn(join(root, 'source'), openStore(join(root, 'store')));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function allRows(store: ObjectStore, manifest: Manifest): Promise<Map<number, { split: string; label: number; clean?: number; image: Uint8Array }>> {
  const rows = new Map<number, { split: string; label: number; clean?: number; image: Uint8Array }>();
  for (const [split, { shards }] of splitEntries(manifest)) {
    for (const entry of shards) {
      const key = shardKey(manifest.datasetId, entry.path);
      const shard: ImageShard = decodeImageShard(await store.get(key), store.uriOf(key), { rows: entry.rows, shape: manifest.shape });
      for (let r = 0; r < shard.rows; r++) {
        rows.set(shard.index[r]!, {
          split,
          label: shard.labels![r]!,
          ...(shard.cleanLabels ? { clean: shard.cleanLabels[r]! } : {}),
          image: shard.images.subarray(r * shard.imageBytes, (r + 1) * shard.imageBytes),
        });
      }
    }
  }
  return rows;
}

test('CIFAR-10 batches: planes become HWC, names come from batches.meta.txt', async () => {
  await withDirs(async (source, store) => {
    await writeCifar10Source(source, 8, 10);
    const manifest = await ingestDataset({ source, format: 'cifar', store, seed: 4 });
    assert.deepEqual(manifest.shape, [32, 32, 3]);
    assert.equal(manifest.classes[9], 'truck');
    assert.equal(manifest.source.examples.train, 40);
    assert.equal(manifest.splits.test.rows, 10);
    const rows = await allRows(store, manifest);
    assert.equal(rows.size, 50);
    for (const [index, row] of rows) {
      const expectedLabel = index < 40 ? index % 10 : ((index - 40) * 3) % 10;
      assert.equal(row.label, expectedLabel);
      // HWC pixel (y, x, c) comes from plane c at y * 32 + x.
      for (const [y, x, c] of [[0, 0, 0], [5, 7, 1], [31, 31, 2]] as const) {
        assert.equal(row.image[(y * 32 + x) * 3 + c], pixel(index, c * 1024 + y * 32 + x));
      }
    }
    assert.equal((await readManifest(store, manifest.datasetId)).datasetId, manifest.datasetId);
  });
});

test('CIFAR-100: fine or coarse labels', async () => {
  await withDirs(async (source, store) => {
    await mkdir(source, { recursive: true });
    const train = Array.from({ length: 60 }, (_, i) => [i % 20, i % 100]);
    await writeFile(join(source, 'train.bin'), cifarRecords(train, 0));
    await writeFile(join(source, 'test.bin'), cifarRecords(train.slice(0, 20), 60));
    const fine = await ingestDataset({ source, format: 'cifar', store, options: { splits: { weak: 0.5, transfer: 0.5 } } });
    const coarse = await ingestDataset({ source, format: 'cifar', store, options: { cifarLabels: 'coarse' } });
    assert.equal(fine.classes.length, 100);
    assert.equal(coarse.classes.length, 20);
    const coarseRows = await allRows(store, coarse);
    for (const [index, row] of coarseRows) assert.equal(row.label, (index < 60 ? index : index - 60) % 20);
  });
});

test('image folders: labels by folder, pixels intact, train/test layout, resize and grayscale', async () => {
  await withDirs(async (source, store) => {
    await writeImageFolder(join(source, 'train'), { ant: 4, bee: 4, cow: 4 }, 6, 5);
    await writeImageFolder(join(source, 'test'), { ant: 1, bee: 1, cow: 1 }, 6, 5);
    const manifest = await ingestDataset({ source, format: 'folder', store, seed: 2 });
    assert.deepEqual(manifest.classes, ['ant', 'bee', 'cow']);
    assert.deepEqual(manifest.shape, [6, 5, 3]);
    assert.equal(manifest.source.ownTestSet, true);
    assert.equal(manifest.splits.test.rows, 3);
    assert.equal(manifest.source.fileCount, 15);
    const rows = await allRows(store, manifest);
    // Round-robin order: train index i is image i // 3 of class i % 3 (written as example number class * 4 + i // 3).
    for (const [index, row] of rows) {
      if (index >= 12) continue;
      const cls = index % 3;
      assert.equal(row.label, cls);
      assert.deepEqual(Buffer.from(row.image), rgbPixels(cls * 4 + Math.floor(index / 3), 6, 5));
    }

    const resized = await ingestDataset({ source, format: 'folder', store, options: { resize: { height: 4, width: 4 }, channels: 1 } });
    assert.deepEqual(resized.shape, [4, 4, 1]);
    assert.deepEqual(resized.transforms, [
      { kind: 'resize', height: 4, width: 4, fit: 'fill', kernel: 'lanczos3' },
      { kind: 'channels', channels: 1 },
    ]);
    assert.notEqual(resized.datasetId, manifest.datasetId);
  });
});

test('image folders: grayscale PNGs stay one channel; JPEGs decode; no test set means a held-out test split', async () => {
  await withDirs(async (source, store) => {
    await writeImageFolder(source, { one: 5, two: 5 }, 8, 8, 1);
    const manifest = await ingestDataset({ source, format: 'folder', store, options: { splits: { weak: 0.5, transfer: 0.5, test: 0.2 } } });
    assert.deepEqual(manifest.shape, [8, 8, 1]);
    assert.equal(manifest.source.ownTestSet, false);
    assert.deepEqual(splitEntries(manifest).map(([, entry]) => entry.rows), [4, 4, 0, 2]);
    const rows = await allRows(store, manifest);
    const first = rows.get(0)!;
    assert.deepEqual(Array.from(first.image), Array.from({ length: 64 }, (_, p) => pixel(0, p)));

    await sharp(rgbPixels(3, 8, 8), { raw: { width: 8, height: 8, channels: 3 } }).jpeg().toFile(join(source, 'one', 'photo.jpg'));
    const withJpeg = await ingestDataset({ source, format: 'folder', store });
    assert.deepEqual(withJpeg.shape, [8, 8, 3], 'one colour image makes the dataset RGB');
    await writePng(join(source, 'two', 'extra.png'), 4, 8, 8);
  });
});

test('EMNIST-style IDX files are chosen by prefix and transposed upright', async () => {
  await withDirs(async (source, store) => {
    const labels = Array.from({ length: 30 }, (_, i) => i % 3);
    await writeIdxSource(source, labels, labels.slice(0, 9), 'emnist-letters-');
    await writeIdxSource(source, labels, labels.slice(0, 9), 'emnist-digits-');
    const manifest = await ingestDataset({ source, format: 'idx', store, options: { idxPrefix: 'emnist-letters-' } });
    assert.deepEqual(manifest.shape, [5, 6, 1], 'a 6x5 stored image is 5x6 upright');
    assert.deepEqual(manifest.transforms, [{ kind: 'transpose' }]);
    assert.deepEqual(manifest.source.files!.map((f) => f.path), [
      'emnist-letters-train-images-idx3-ubyte.gz',
      'emnist-letters-train-labels-idx1-ubyte.gz',
      'emnist-letters-t10k-images-idx3-ubyte.gz',
      'emnist-letters-t10k-labels-idx1-ubyte.gz',
    ]);
    const rows = await allRows(store, manifest);
    const image = rows.get(7)!.image;
    // Upright (y, x) is stored (x, y): stored pixel index x * 5 + y.
    for (let y = 0; y < 5; y++) for (let x = 0; x < 6; x++) assert.equal(image[y * 6 + x], pixel(7, x * 5 + y));
  });
});

test('label noise reaches the shards: noisy labels plus clean_label, test split untouched', async () => {
  await withDirs(async (source, store) => {
    const labels = Array.from({ length: 200 }, (_, i) => i % 4);
    await writeIdxSource(source, labels, labels.slice(0, 40));
    const manifest = await ingestDataset({ source, format: 'idx', store, seed: 9, options: { labelNoise: { kind: 'symmetric', rate: 0.25 } } });
    assert.equal(manifest.splits.weak.cleanLabels, true);
    assert.equal(manifest.splits.test.cleanLabels, false);
    const rows = await allRows(store, manifest);
    let flipped = 0;
    for (const [index, row] of rows) {
      if (row.split === 'test') {
        assert.equal(row.clean, undefined);
        assert.equal(row.label, (index - 200) % 4);
        continue;
      }
      assert.equal(row.clean, index % 4);
      if (row.label !== row.clean) flipped++;
    }
    assert.equal(flipped, 50);
    assert.deepEqual(manifest.transforms, [{ kind: 'label-noise', noise: 'symmetric', rate: 0.25, flipped: { weak: 25, transfer: 25 } }]);
  });
});

test('the pipeline dataset config is accepted as ingest options as it is', async () => {
  await withDirs(async (source, store) => {
    const labels = Array.from({ length: 80 }, (_, i) => i % 4);
    await writeIdxSource(source, labels, labels.slice(0, 20));
    const dataset = DatasetConfigSchema.parse({ source, format: 'idx', splits: { weak: 0.25, transfer: 0.5, validation: 0.25 }, shardSize: 16, labelNoise: { kind: 'pairwise', rate: 0.5 } });
    const options: IngestOptionsInput = dataset;
    const manifest = await ingestDataset({ source: dataset.source, format: dataset.format, options, store, seed: 1 });
    assert.deepEqual(splitEntries(manifest).map(([, entry]) => entry.rows), [20, 40, 20, 20]);
    assert.equal(manifest.splits.weak.shards.length, 2);
    assert.deepEqual(manifest.transforms, [{ kind: 'label-noise', noise: 'pairwise', rate: 0.5, flipped: { weak: 10, transfer: 20 } }]);
  });
});
