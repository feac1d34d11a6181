import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { isBadInputError } from '../../core/errors.js';
import type { Batch, EpochOptions } from '../../ml/data/batches.js';
import type { Manifest } from '../../schemas/manifest.js';
import type { ShardRef } from '../../schemas/stages.js';
import { decodeImageShard } from '../../storage/arrow/image-shard.js';
import { ingestDataset } from '../../storage/ingest/ingest.js';
import { ShardBatchSource } from '../../stages/shard-source.js';
import { shardsOf } from '../../storage/index.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { openStore } from '../../storage/open.js';
import { writeSoftLabels } from '../../storage/soft-labels.js';
import { FakeGcs } from '../harness/fake-gcs.js';
import { pixel, writeIdxSource } from '../storage/sources.js';

let root: string;
let store: ObjectStore;
let manifest: Manifest;
const TEACHER = 'c'.repeat(64);
const K = 4;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'w2s-loader-'));
  const labels = Array.from({ length: 300 }, (_, i) => i % K);
  await writeIdxSource(join(root, 'source'), labels, labels.slice(0, 60));
  store = openStore(join(root, 'store'));
  manifest = await ingestDataset({ source: join(root, 'source'), format: 'idx', store, seed: 3, options: { shardSize: 37 } });
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

interface Seen {
  index: number[];
  x: Float32Array[];
  labels: number[];
  logits: number[][];
}

async function collect(source: ShardBatchSource, options: Partial<EpochOptions> = {}): Promise<Seen[]> {
  const out: Seen[] = [];
  const full: EpochOptions = { epoch: 0, batchSize: 32, seed: 11, stream: 'train-strong', shuffle: true, dropLast: false, ...options };
  for await (const batch of source.batches(full)) out.push(await read(batch));
  return out;
}

async function read(batch: Batch): Promise<Seen> {
  const seen: Seen = {
    index: Array.from(batch.index),
    x: [(await batch.x.data()) as Float32Array],
    labels: batch.labels ? Array.from(await batch.labels.data()) : [],
    logits: batch.teacherLogits ? ((await batch.teacherLogits.array()) as number[][]) : [],
  };
  assert.equal(batch.x.dtype, 'float32');
  assert.deepEqual(batch.x.shape, [batch.index.length, 6, 5, 1]);
  tf.dispose([batch.x, batch.labels, batch.teacherLogits].filter((t) => t !== undefined));
  return seen;
}

test('an epoch visits every example once, normalised with the manifest statistics', async () => {
  const source = new ShardBatchSource({ store, manifest, shards: shardsOf(store, manifest, ['transfer']) });
  assert.equal(source.size, manifest.splits.transfer.rows);
  assert.deepEqual(source.shape, [6, 5, 1]);
  assert.equal(source.numClasses, K);
  const before = tf.memory().numTensors;
  const batches = await collect(source);
  assert.equal(tf.memory().numTensors, before, 'batches are disposed by the consumer, nothing else is left');
  assert.equal(batches.length, Math.ceil(source.size / 32));
  const indices = batches.flatMap((b) => b.index);
  assert.equal(new Set(indices).size, source.size);
  const [mean, std] = [manifest.normalization.mean[0]!, manifest.normalization.std[0]!];
  for (const batch of batches.slice(0, 2)) {
    batch.index.forEach((index, i) => {
      assert.equal(batch.labels[i], index % K);
      for (const p of [0, 7, 29]) assert.ok(Math.abs(batch.x[0]![i * 30 + p]! - (pixel(index, p) / 255 - mean) / std) < 1e-5);
    });
  }
  // Shuffled: not the stored order.
  const stored = (await collect(source, { shuffle: false })).flatMap((b) => b.index);
  assert.notDeepEqual(indices, stored);
  assert.deepEqual([...indices].sort((a, b) => a - b), [...stored].sort((a, b) => a - b));
});

test('the order is a pure function of (seed, stream, epoch)', async () => {
  const shards = shardsOf(store, manifest, ['weak']);
  const a = (await collect(new ShardBatchSource({ store, manifest, shards }))).flatMap((b) => b.index);
  const b = (await collect(new ShardBatchSource({ store, manifest, shards }))).flatMap((b) => b.index);
  assert.deepEqual(a, b);
  const source = new ShardBatchSource({ store, manifest, shards });
  assert.notDeepEqual((await collect(source, { epoch: 1 })).flatMap((x) => x.index), a);
  assert.notDeepEqual((await collect(source, { stream: 'train-weak' })).flatMap((x) => x.index), a);
  assert.notDeepEqual((await collect(source, { seed: 12 })).flatMap((x) => x.index), a);
});

test('resuming at startBatch gives the same batches bit for bit, without reading the shards before it', async () => {
  const shards = shardsOf(store, manifest, ['weak', 'transfer']);
  const full = await collect(new ShardBatchSource({ store, manifest, shards }), { epoch: 2 });
  const fetched: string[] = [];
  const counting: ObjectStore = Object.assign(Object.create(store) as ObjectStore, {
    get: async (key: string) => {
      fetched.push(key);
      return store.get(key);
    },
  });
  const start = full.length - 2;
  const resumed = await collect(new ShardBatchSource({ store: counting, manifest, shards }), { epoch: 2, startBatch: start });
  assert.equal(resumed.length, 2);
  resumed.forEach((batch, i) => {
    assert.deepEqual(batch.index, full[start + i]!.index);
    assert.deepEqual(batch.labels, full[start + i]!.labels);
    assert.deepEqual(Buffer.from(batch.x[0]!.buffer), Buffer.from(full[start + i]!.x[0]!.buffer));
  });
  assert.ok(fetched.length <= 3, `a resumed tail of two batches read ${fetched.length} of ${shards.length} shards`);
  assert.deepEqual(await collect(new ShardBatchSource({ store, manifest, shards }), { startBatch: full.length }), []);
});

test('dropLast keeps full batches only', async () => {
  const source = new ShardBatchSource({ store, manifest, shards: shardsOf(store, manifest, ['transfer']) });
  const batches = await collect(source, { dropLast: true, batchSize: 40 });
  assert.equal(batches.length, Math.floor(source.size / 40));
  for (const batch of batches) assert.equal(batch.index.length, 40);
});

/** Soft labels for each transfer shard: logits [index, -index, 0, 1], rows in reverse order. */
async function writeTeacherLogits(teacher: string): Promise<ShardRef[]> {
  const refs: ShardRef[] = [];
  for (const ref of shardsOf(store, manifest, ['transfer'])) {
    const shard = decodeImageShard(await store.get(ref.key), ref.key);
    const index = Uint32Array.from(shard.index).reverse();
    const logits = new Float32Array(index.length * K);
    index.forEach((value, row) => logits.set([value, -value, 0, 1], row * K));
    const key = `runs/r1/label/${teacher.slice(0, 8)}/${ref.key.split('/').slice(-1)[0]}`;
    const written = await writeSoftLabels(store, key, { metadata: { teacherSha256: teacher, numClasses: K, datasetId: manifest.datasetId, split: 'transfer' }, index, logits });
    refs.push({ ...written, split: 'transfer', index: ref.index, rows: ref.rows });
  }
  return refs;
}

test('soft labels are joined by example index; a wrong teacher or a wrong pairing is refused', async () => {
  const shards = shardsOf(store, manifest, ['transfer']);
  const softLabels = await writeTeacherLogits(TEACHER);
  const source = new ShardBatchSource({ store, manifest, shards, softLabels, teacherSha256: TEACHER });
  for (const batch of await collect(source)) {
    batch.index.forEach((index, i) => assert.deepEqual(batch.logits[i], [index, -index, 0, 1]));
  }
  const otherTeacher = new ShardBatchSource({ store, manifest, shards, softLabels, teacherSha256: 'd'.repeat(64) });
  await assert.rejects(collect(otherTeacher), (error: unknown) => isBadInputError(error) && /holds logits of teacher c+, expected d+/.test(error.message));
  const swapped = [softLabels[1]!, softLabels[0]!, ...softLabels.slice(2)];
  const mismatched = new ShardBatchSource({ store, manifest, shards, softLabels: swapped });
  await assert.rejects(collect(mismatched, { shuffle: false }), (error: unknown) => {
    assert.ok(isBadInputError(error));
    assert.ok(error.message.includes(swapped[0]!.key) && error.message.includes(shards[0]!.key), error.message);
    return true;
  });
  assert.throws(() => new ShardBatchSource({ store, manifest, shards, softLabels: softLabels.slice(1) }), /soft-label shards for \d+ image shards/);
});

test('a shard whose bytes differ from the manifest is refused by URI', async () => {
  const [first, ...rest] = shardsOf(store, manifest, ['test']);
  const tampered = { ...first!, sha256: '0'.repeat(64) };
  const source = new ShardBatchSource({ store, manifest, shards: [tampered, ...rest] });
  await assert.rejects(collect(source, { shuffle: false }), (error: unknown) => isBadInputError(error) && error.message.startsWith(`${store.uriOf(first!.key)}: content has sha256`));
});

test('remote shards are cached locally, verified, and read from the cache while the server is down', async () => {
  const gcs = await FakeGcs.start({ buckets: ['w2s-data'] });
  const cacheDir = join(root, 'cache');
  try {
    const remote = openStore('gs://w2s-data/root', { gcs: { emulatorHost: gcs.url } });
    const labels = Array.from({ length: 120 }, (_, i) => i % K);
    await writeIdxSource(join(root, 'small'), labels, labels.slice(0, 24));
    const remoteManifest = await ingestDataset({ source: join(root, 'small'), format: 'idx', store: remote, seed: 3, options: { shardSize: 25 } });
    const shards = shardsOf(remote, remoteManifest, ['weak']);
    const first = await collect(new ShardBatchSource({ store: remote, manifest: remoteManifest, shards, cacheDir }));
    const cached = (await readdir(cacheDir)).filter((name) => name.endsWith('.arrow')).sort();
    assert.deepEqual(cached, shards.map((s) => `${s.sha256}.arrow`).sort());

    // A damaged cache entry is fetched again.
    await writeFile(join(cacheDir, `${shards[0]!.sha256}.arrow`), 'garbage');
    const refetched = await collect(new ShardBatchSource({ store: remote, manifest: remoteManifest, shards, cacheDir }));
    assert.deepEqual(refetched.map((b) => b.index), first.map((b) => b.index));

    await gcs.stop();
    const offline = await collect(new ShardBatchSource({ store: remote, manifest: remoteManifest, shards, cacheDir }));
    assert.deepEqual(offline.map((b) => b.index), first.map((b) => b.index));
  } finally {
    await gcs.dispose();
  }
});
