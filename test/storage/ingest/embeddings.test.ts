/**
 * Ingest of embeddings computed elsewhere (an Arrow file of `index`,
 * `label`, `embedding`): from a local folder and from fake-gcs-server, the
 * same dataset byte for byte; rerun gives the same id and shards; the
 * shards hold each example's own vector and label; splits drawn as for
 * images; every kind of bad file refused naming the file, nothing written.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isBadInputError } from '../../../core/errors.js';
import { splitEntries } from '../../../schemas/manifest.js';
import { decodeEmbeddingShard } from '../../../storage/arrow/embedding-shard.js';
import { ingestDataset } from '../../../storage/ingest/ingest.js';
import { datasetRefs, readManifest, serializeManifest } from '../../../storage/ingest/manifest-io.js';
import { planSplits } from '../../../storage/ingest/plan.js';
import { openStore } from '../../../storage/open.js';
import { IngestOptionsSchema } from '../../../schemas/manifest.js';
import { FakeGcs } from '../../harness/fake-gcs.js';
import {
  embeddingColumns,
  embeddingsFileBytes,
  fashionEmbeddings,
  fixedListColumn,
  float32Column,
  int32Column,
  int64Column,
  listColumn,
  writeEmbeddingsFolder,
  type Embeddings,
} from '../../harness/embeddings.js';

let gcs: FakeGcs;
let root: string;
let embeddings: Embeddings;
const options = { splits: { weak: 0.4, transfer: 0.4, validation: 0.2, test: 0.25 }, shardSize: 150 };

before(async () => {
  gcs = await FakeGcs.start({ buckets: ['w2s-embeddings'] });
  root = await mkdtemp(join(tmpdir(), 'w2s-embeddings-ingest-'));
  embeddings = await fashionEmbeddings(1000, 24);
});

after(async () => {
  await gcs.dispose();
  await rm(root, { recursive: true, force: true });
});

test('embeddings from a folder and from a bucket: the same dataset byte for byte, each shard row the example\'s own vector and label, splits drawn as for images', async () => {
  const bytes = embeddingsFileBytes(embeddingColumns(embeddings));
  const folder = await writeEmbeddingsFolder(join(root, 'source'), bytes);
  const bucket = openStore('gs://w2s-embeddings/sources/fashion', { gcs: { emulatorHost: gcs.url } });
  await bucket.put('embeddings.arrow', bytes);

  const local = openStore(join(root, 'local'));
  const manifest = await ingestDataset({ source: folder, format: 'embeddings', store: local, seed: 3, options });
  assert.equal(manifest.writer, 'w2s.embedding-shard/1');
  assert.deepEqual(manifest.examples, { kind: 'embedding', dim: 24, dtype: 'float32', sourceDtype: 'float32' });
  assert.deepEqual(manifest.shape, [1, 1, 24]);
  assert.deepEqual(manifest.classes, Array.from({ length: 10 }, (_, i) => String(i)));
  assert.deepEqual(splitEntries(manifest).map(([name, split]) => [name, split.rows]), [['weak', 300], ['transfer', 300], ['validation', 149], ['test', 250]]);

  // The splits are the plan images get from the same labels, options and seed; every row carries its example's own vector and label.
  const plan = planSplits({ trainLabels: Int16Array.from(embeddings.labels), numClasses: 10, options: IngestOptionsSchema.parse(options), seed: 3 });
  const refs = await datasetRefs(local, manifest);
  for (const [name, shards] of Object.entries(refs.splits)) {
    const index: number[] = [];
    for (const ref of shards) {
      const shard = decodeEmbeddingShard(await local.get(ref.key), ref.key, { datasetId: manifest.datasetId, split: name, dim: 24, rows: ref.rows });
      for (let r = 0; r < shard.rows; r++) {
        const position = shard.index[r]! - 1000;
        assert.equal(shard.labels[r], embeddings.labels[position]);
        assert.deepEqual(shard.vectors.subarray(r * 24, (r + 1) * 24), embeddings.vectors.subarray(position * 24, (position + 1) * 24));
        index.push(shard.index[r]!);
      }
    }
    assert.deepEqual(index, Array.from(plan.splits[name as 'weak'].indices, (i) => 1000 + i), `${name}: the plan's examples, in its order`);
  }

  // From the bucket: the same manifest, so the same id and shards.
  const remote = openStore('gs://w2s-embeddings/datasets-root', { gcs: { emulatorHost: gcs.url } });
  const fromBucket = await ingestDataset({ source: 'gs://w2s-embeddings/sources/fashion', format: 'embeddings', store: remote, seed: 3, options, openSourceStore: (uri) => openStore(uri, { gcs: { emulatorHost: gcs.url } }) });
  assert.equal(serializeManifest(fromBucket), serializeManifest(manifest));
  const remoteRefs = await datasetRefs(remote, await readManifest(remote, manifest.datasetId));
  for (const shard of remoteRefs.splits.transfer) assert.equal((await remote.stat(shard.key)).sha256, shard.sha256);

  // Deterministic: a rerun into another root writes the same bytes under the same id; another seed draws other splits.
  const again = await ingestDataset({ source: folder, format: 'embeddings', store: openStore(join(root, 'again')), seed: 3, options });
  assert.equal(serializeManifest(again), serializeManifest(manifest));
  const reseeded = await ingestDataset({ source: folder, format: 'embeddings', store: openStore(join(root, 'reseeded')), seed: 4, options });
  assert.notEqual(reseeded.datasetId, manifest.datasetId);
});

test('a list<float64> column and int32 ids are read too, rows in any order: vectors rounded to float32, rows sorted by index', async () => {
  const order = [2, 0, 3, 1, 5, 4, 7, 6, 9, 8];
  const rows = order.map((i) => Array.from({ length: 3 }, (_, j) => i + j / 3));
  const bytes = embeddingsFileBytes({ embedding: listColumn(rows, 'float64'), index: int32Column(order), label: int32Column(order.map((i) => i % 2)) });
  const folder = await writeEmbeddingsFolder(join(root, 'float64'), bytes, 'vectors.feather');
  const store = openStore(join(root, 'float64-store'));
  const manifest = await ingestDataset({ source: folder, format: 'embeddings', store, options: { splits: { weak: 0.5, transfer: 0.5, test: 0.2 }, classNames: ['even', 'odd'] } });
  assert.deepEqual([manifest.examples?.sourceDtype, manifest.examples?.dim, manifest.classes], ['float64', 3, ['even', 'odd']]);
  const refs = await datasetRefs(store, manifest);
  for (const ref of Object.values(refs.splits).flat()) {
    const shard = decodeEmbeddingShard(await store.get(ref.key), ref.key);
    for (let r = 0; r < shard.rows; r++) {
      const i = shard.index[r]!;
      assert.equal(shard.labels[r], i % 2);
      assert.deepEqual(Array.from(shard.vectors.subarray(r * 3, r * 3 + 3)), [0, 1, 2].map((j) => Math.fround(i + j / 3)));
    }
  }
});

test('bad embeddings files are refused naming the file and what is wrong, and nothing is written', async () => {
  const small = { ...embeddings, index: embeddings.index.slice(0, 40), labels: embeddings.labels.slice(0, 40), vectors: embeddings.vectors.slice(0, 40 * 24) };
  const good = embeddingColumns(small);
  const withNaN = Float32Array.from(small.vectors);
  withNaN[5 * 24 + 7] = Number.NaN;
  const withInf = Float32Array.from(small.vectors);
  withInf[3] = Number.POSITIVE_INFINITY;
  const rows = Array.from({ length: 40 }, (_, i) => small.vectors.subarray(i * 24, (i + 1) * 24));
  const cases: Array<[string, Record<string, ReturnType<typeof int64Column>>, RegExp, Record<string, unknown>?]> = [
    ['missing column', { index: good.index!, label: good.label! }, /missing column "embedding" \(columns: index, label\); an embeddings file has index, label and embedding/],
    ['label of the wrong type', { ...good, label: float32Column(small.labels) }, /column "label" has type Float32, expected an integer type/],
    ['vectors that are numbers', { ...good, embedding: int32Column(small.labels) }, /column "embedding" has type Int32, expected a fixed_size_list or list of float32 or float64/],
    ['ragged vectors', { ...good, embedding: listColumn(rows.map((row, i) => (i === 9 ? row.subarray(0, 20) : row)), 'float32') }, /vectors differ in length: index 1009 has 20 values, index 1000 has 24; every embedding must have the same length/],
    ['a NaN', { ...good, embedding: fixedListColumn(withNaN, 24) }, /the vector of index 1005 holds NaN at position 7; every value must be a finite number/],
    ['an Infinity', { ...good, embedding: fixedListColumn(withInf, 24) }, /the vector of index 1000 holds Infinity at position 3/],
    ['a float64 beyond float32', { ...good, embedding: fixedListColumn(Array.from(small.vectors, (v, i) => (i === 24 ? 1e300 : v)), 24, 'float64') }, /the vector of index 1001 holds 1e\+300 \(beyond float32's range\) at position 0/],
    ['a duplicate index', { ...good, index: int64Column(small.index.map((v, i) => (i === 30 ? 1012 : v))) }, /index 1012 appears more than once; every example needs its own index/],
    ['a label beyond the class list', { ...good }, /label 9 of index 1000 is outside the 3 classes named \(classNames\)/, { classNames: ['a', 'b', 'c'] }],
    ['a negative label', { ...good, label: int64Column(small.labels.map((v, i) => (i === 2 ? -1 : v))) }, /label -1 of index 1002 is outside 0\.\.9/],
    ['an unlabelled row', { ...good, label: int64Column(small.labels, new Set([4])) }, /column "label" is null at row 4; unlabelled examples are not supported/],
  ];
  for (const [what, columns, message, more] of cases) {
    const folder = await writeEmbeddingsFolder(await mkdtemp(join(root, 'bad-')), embeddingsFileBytes(columns));
    const store = openStore(join(root, `bad-store-${what.replaceAll(' ', '-')}`));
    await assert.rejects(
      ingestDataset({ source: folder, format: 'embeddings', store, options: { ...options, ...more } }),
      (error: unknown) => isBadInputError(error) && error.message.startsWith(join(folder, 'embeddings.arrow')) && message.test(error.message),
      what,
    );
    assert.deepEqual(await store.list(''), [], `${what}: nothing written`);
  }

  // Not an Arrow file at all, no file, two files, and an option that only images have.
  const notArrow = await writeEmbeddingsFolder(await mkdtemp(join(root, 'bad-')), new TextEncoder().encode('index,label,embedding\n'));
  await assert.rejects(ingestDataset({ source: notArrow, format: 'embeddings', store: openStore(join(root, 'x')) }), /embeddings\.arrow: not a readable Arrow IPC file/);
  const empty = await mkdtemp(join(root, 'empty-'));
  await assert.rejects(ingestDataset({ source: empty, format: 'embeddings', store: openStore(join(root, 'x')) }), /embeddings source .*empty-\w+: holds no embeddings file \(\*\.arrow or \*\.parquet\)/);
  const two = await writeEmbeddingsFolder(await mkdtemp(join(root, 'two-')), embeddingsFileBytes(good), 'a.arrow');
  await writeEmbeddingsFolder(two, embeddingsFileBytes(good), 'b.arrow');
  await assert.rejects(ingestDataset({ source: two, format: 'embeddings', store: openStore(join(root, 'x')) }), /holds 2 embeddings files \(a\.arrow, b\.arrow\); put one in the folder/);
  const folder = await writeEmbeddingsFolder(await mkdtemp(join(root, 'resize-')), embeddingsFileBytes(good));
  await assert.rejects(ingestDataset({ source: folder, format: 'embeddings', store: openStore(join(root, 'x')), options: { resize: { height: 8, width: 8 } } }), /resize: applies to images; an embeddings dataset holds vectors/);
  assert.deepEqual(await openStore(join(root, 'x')).list(''), []);
});
