import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../ml/backend.js';
import { isBadInputError } from '../../core/errors.js';
import { ArraySource } from '../../ml/data/array-source.js';
import { disposeBatch } from '../../ml/data/dispose.js';
import type { EpochOptions } from '../../ml/data/batches.js';

/** 10 two-pixel RGB images whose first byte is the row number. */
function source(): ArraySource {
  const n = 10;
  const images = new Uint8Array(n * 1 * 2 * 3);
  for (let i = 0; i < n; i++) for (let p = 0; p < 6; p++) images[i * 6 + p] = p === 0 ? i : 100 + p;
  return new ArraySource({
    images,
    shape: [1, 2, 3],
    numClasses: 5,
    labels: Int32Array.from({ length: n }, (_, i) => i % 5),
    teacherLogits: Float32Array.from({ length: n * 5 }, (_, j) => j),
    index: Uint32Array.from({ length: n }, (_, i) => 1000 + i),
    normalization: { mean: [0, 0.5, 0.25], std: [1 / 255, 0.5, 2] },
  });
}

async function collect(src: ArraySource, options: Partial<EpochOptions> = {}) {
  const out: Array<{ index: number[]; first: number[]; labels: number[]; teacher: number[] }> = [];
  for await (const batch of src.batches({ epoch: 0, batchSize: 3, seed: 1, stream: 's', shuffle: true, dropLast: false, ...options })) {
    const x = (await batch.x.data()) as Float32Array;
    out.push({
      index: [...batch.index],
      first: Array.from({ length: batch.index.length }, (_, i) => x[i * 6]!),
      labels: [...(await batch.labels!.data())],
      teacher: [...(await batch.teacherLogits!.data())],
    });
    disposeBatch(batch);
  }
  return out;
}

test('batches are normalised per channel and carry labels, logits and stable ids', async () => {
  await initBackend();
  const before = tf.memory().numTensors;
  for await (const batch of source().batches({ epoch: 0, batchSize: 4, seed: 0, stream: 's', shuffle: false, dropLast: false })) {
    assert.deepEqual(batch.x.shape.slice(1), [1, 2, 3]);
    const x = await batch.x.data();
    const row = batch.index[0]! - 1000;
    // channel 0: (v/255 - 0)/(1/255) = v; channel 1: (101/255 - 0.5)/0.5; channel 2: (102/255 - 0.25)/2
    assert.ok(Math.abs(x[0]! - row) < 1e-4);
    assert.ok(Math.abs(x[1]! - (101 / 255 - 0.5) / 0.5) < 1e-6);
    assert.ok(Math.abs(x[2]! - (102 / 255 - 0.25) / 2) < 1e-6);
    assert.equal(batch.labels!.dtype, 'int32');
    assert.deepEqual([...(await batch.labels!.data())], [...batch.index].map((i) => (i - 1000) % 5));
    assert.deepEqual([...(await batch.teacherLogits!.data())].slice(0, 5), [0, 1, 2, 3, 4].map((k) => row * 5 + k));
    disposeBatch(batch);
    break;
  }
  assert.equal(tf.memory().numTensors, before);
});

test('an epoch visits every example once, in an order fixed by (seed, stream, epoch)', async () => {
  await initBackend();
  const src = source();
  const epoch0 = await collect(src);
  const again = await collect(src);
  assert.deepEqual(again, epoch0);
  const seen = epoch0.flatMap((b) => b.index).sort((a, b) => a - b);
  assert.deepEqual(seen, Array.from({ length: 10 }, (_, i) => 1000 + i));
  assert.deepEqual(epoch0.map((b) => b.index.length), [3, 3, 3, 1]);
  for (const b of epoch0) {
    assert.deepEqual(b.first, b.index.map((i) => i - 1000), 'images travel with their ids');
    assert.deepEqual(b.labels, b.index.map((i) => (i - 1000) % 5));
  }
  const order = (batches: typeof epoch0) => batches.flatMap((b) => b.index).join();
  assert.notEqual(order(await collect(src, { epoch: 1 })), order(epoch0));
  assert.notEqual(order(await collect(src, { stream: 't' })), order(epoch0));
  assert.notEqual(order(await collect(src, { seed: 2 })), order(epoch0));
  assert.equal(order(await collect(src, { shuffle: false })), Array.from({ length: 10 }, (_, i) => 1000 + i).join());
});

test('startBatch resumes mid-epoch with exactly the remaining batches; dropLast drops the remainder', async () => {
  await initBackend();
  const src = source();
  const full = await collect(src, { epoch: 3 });
  assert.deepEqual(await collect(src, { epoch: 3, startBatch: 2 }), full.slice(2));
  assert.deepEqual(await collect(src, { epoch: 3, startBatch: 4 }), []);
  const dropped = await collect(src, { epoch: 3, dropLast: true });
  assert.deepEqual(dropped, full.slice(0, 3));
  await assert.rejects(collect(src, { startBatch: 5 }), (e: unknown) => isBadInputError(e) && /startBatch 5/.test((e as Error).message));
});

test('select, withTeacherLogits and withoutLabels derive new sources', async () => {
  await initBackend();
  const picked = source().select([7, 2]);
  assert.equal(picked.size, 2);
  const [batch] = await collect(picked, { shuffle: false });
  assert.deepEqual(batch!.index, [1007, 1002]);
  assert.deepEqual(batch!.first, [7, 2]);
  assert.deepEqual(batch!.teacher, [35, 36, 37, 38, 39, 10, 11, 12, 13, 14]);
  const relabelled = picked.withTeacherLogits(new Float32Array(10).fill(-1));
  assert.deepEqual((await collect(relabelled))[0]!.teacher, new Array(10).fill(-1));
  for await (const b of picked.withoutLabels().batches({ epoch: 0, batchSize: 2, seed: 0, stream: 's', shuffle: false, dropLast: false })) {
    assert.equal(b.labels, undefined);
    disposeBatch(b);
  }
});

test('inconsistent arrays are rejected with the problem named', () => {
  const ok = { images: new Uint8Array(8), shape: [2, 2, 1] as const, numClasses: 3, normalization: { mean: [0.5], std: [0.5] } };
  const rejects = (data: object, pattern: RegExp) =>
    assert.throws(() => new ArraySource({ ...ok, ...data }, 'train split'), (e: unknown) => isBadInputError(e) && /^train split: /.test((e as Error).message) && pattern.test((e as Error).message));
  rejects({ images: new Uint8Array(7) }, /7 image bytes/);
  rejects({ labels: [0] }, /1 labels for 2 images/);
  rejects({ labels: [0, 3] }, /label 3 of image 1 is outside 0\.\.2/);
  rejects({ teacherLogits: new Float32Array(5) }, /5 teacher logits for 2 images x 3 classes/);
  rejects({ normalization: { mean: [0.5, 0.5], std: [0.5] } }, /1 channels|needs 1 means/);
  rejects({ normalization: { mean: [0.5], std: [0] } }, /std of channel 0/);
  assert.throws(() => source().select([10]), /row 10 is outside/);
});
