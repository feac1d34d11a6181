/**
 * The loader reads shards into reused buffers: reads land in the same memory
 * each time, the first read of a shard is still verified, and an epoch over
 * many shards of unequal size (soft labels included, joined zero-copy) gives
 * every example its own pixels, label and logits, so no read overwrote a
 * shard that was still being batched.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { isBadInputError } from '../../core/errors.js';
import type { Manifest } from '../../schemas/manifest.js';
import type { ShardRef } from '../../schemas/stages.js';
import { decodeImageShard } from '../../storage/arrow/image-shard.js';
import { ingestDataset } from '../../storage/ingest/ingest.js';
import { LocalStore } from '../../storage/local.js';
import { ReadBuffer } from '../../storage/local-read.js';
import { ShardFetcher } from '../../storage/index.js';
import { ShardBatchSource } from '../../stages/shard-source.js';
import { shardsOf } from '../../storage/index.js';
import { writeSoftLabels } from '../../storage/soft-labels.js';
import { pixel, writeIdxSource } from '../storage/sources.js';

let root: string;
let store: LocalStore;
let manifest: Manifest;
const TEACHER = 'e'.repeat(64);
const K = 3;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'w2s-loader-buffers-'));
  const labels = Array.from({ length: 260 }, (_, i) => i % K);
  await writeIdxSource(join(root, 'source'), labels, labels.slice(0, 30));
  store = new LocalStore(join(root, 'store'));
  manifest = await ingestDataset({ source: join(root, 'source'), format: 'idx', store, seed: 5, options: { shardSize: 23 } });
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

test('reads into a ReadBuffer reuse its memory, growing only for a larger object', async () => {
  await store.put('objects/small', new Uint8Array(100).fill(1));
  await store.put('objects/large', new Uint8Array(300).map((_, i) => i));
  const buffer = new ReadBuffer();
  const large = await store.getInto('objects/large', buffer);
  assert.deepEqual(Array.from(large), Array.from(await store.get('objects/large')));
  assert.equal(buffer.capacity, 300);
  const small = await store.getInto('objects/small', buffer);
  assert.deepEqual(Array.from(small), new Array(100).fill(1));
  assert.equal(small.buffer, large.buffer, 'the second read lands in the same memory');
  assert.equal(buffer.capacity, 300);
  const again = await store.getInto('objects/large', buffer);
  assert.equal(again.buffer, large.buffer);
  assert.deepEqual(Array.from(again), Array.from(await store.get('objects/large')));
});

test('a shard read into a reused buffer is verified on its first read', async () => {
  const [ref] = shardsOf(store, manifest, ['test']);
  const buffer = new ReadBuffer();
  const wrongHash = new ShardFetcher(store, undefined);
  await assert.rejects(wrongHash.fetch({ ...ref!, sha256: '0'.repeat(64) }, buffer), (error: unknown) => isBadInputError(error) && error.message.startsWith(`${store.uriOf(ref!.key)}: content has sha256`));
  const bytes = await new ShardFetcher(store, undefined).fetch(ref!, buffer);
  assert.equal(decodeImageShard(bytes, ref!.key).rows, ref!.rows);
  // The same bytes under a different path: a copy whose content the manifest does not pin is refused.
  const path = ref!.key.replace(/\.arrow$/, '-copy.arrow');
  await writeFile(join(root, 'store', ...path.split('/')), Buffer.concat([bytes, Buffer.from([0])]));
  await assert.rejects(new ShardFetcher(store, undefined).fetch({ ...ref!, key: path }, buffer), (error: unknown) => isBadInputError(error) && /content has sha256/.test(error.message));
});

/** Soft labels in the image shards' row order (so the loader joins them as views): [index, 2 * index, -1]. */
async function writeTeacherLogits(shards: readonly ShardRef[]): Promise<ShardRef[]> {
  const refs: ShardRef[] = [];
  for (const ref of shards) {
    const { index } = decodeImageShard(await store.get(ref.key), ref.key);
    const logits = new Float32Array(index.length * K);
    index.forEach((value, row) => logits.set([value, 2 * value, -1], row * K));
    const key = `runs/r2/label/${ref.split}/${ref.key.split('/').slice(-1)[0]}`;
    const written = await writeSoftLabels(store, key, { metadata: { teacherSha256: TEACHER, numClasses: K, datasetId: manifest.datasetId, split: ref.split }, index: Uint32Array.from(index), logits });
    refs.push({ ...written, split: ref.split, index: ref.index, rows: ref.rows });
  }
  return refs;
}

test('an epoch over many shards read into reused buffers gives every example its own pixels, label and logits', async () => {
  const shards = shardsOf(store, manifest, ['weak', 'transfer']);
  assert.ok(shards.length >= 6 && new Set(shards.map((s) => s.rows)).size > 1, `want many shards of unequal size, got ${shards.map((s) => s.rows)}`);
  const source = new ShardBatchSource({ store, manifest, shards, softLabels: await writeTeacherLogits(shards), teacherSha256: TEACHER });
  const [mean, std] = [manifest.normalization.mean[0]!, manifest.normalization.std[0]!];
  const seen = new Set<number>();
  for (const epoch of [0, 1]) {
    for await (const batch of source.batches({ epoch, batchSize: 17, seed: 2, stream: 'buffers', shuffle: true, dropLast: false })) {
      const [x, labels, logits] = [await batch.x.data(), await batch.labels!.data(), await batch.teacherLogits!.data()];
      batch.index.forEach((index, i) => {
        seen.add(index);
        assert.equal(labels[i], index % K, `label of example ${index}`);
        assert.deepEqual(Array.from(logits.subarray(i * K, i * K + K)), [index, 2 * index, -1], `logits of example ${index}`);
        for (let p = 0; p < 30; p++) assert.ok(Math.abs(x[i * 30 + p]! - (pixel(index, p) / 255 - mean) / std) < 1e-5, `pixel ${p} of example ${index}`);
      });
      tf.dispose([batch.x, batch.labels!, batch.teacherLogits!]);
    }
  }
  assert.equal(seen.size, source.size);
});
