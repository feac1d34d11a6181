/**
 * Parquet embeddings files (written by pyarrow: test/fixtures/embeddings/make_parquet.py,
 * kept beside them): read into the same kind of dataset as Arrow files,
 * each shard row the example's own vector and label; the same refusals,
 * naming the file, with nothing written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isBadInputError } from '../../../core/errors.js';
import { decodeEmbeddingShard } from '../../../storage/arrow/embedding-shard.js';
import { ingestDataset } from '../../../storage/ingest/ingest.js';
import { datasetRefs } from '../../../storage/ingest/manifest-io.js';
import { openStore } from '../../../storage/open.js';

const FIXTURES = join(process.cwd(), 'test', 'fixtures', 'embeddings');
const options = { splits: { weak: 0.5, transfer: 0.5, test: 0.2 }, shardSize: 16 };

async function folderWith(name: string): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'w2s-parquet-'));
  await copyFile(join(FIXTURES, name), join(folder, name));
  return folder;
}

test('a Parquet file (pyarrow, snappy) becomes a dataset of its vectors, every row its own vector and label', async () => {
  const store = openStore(await mkdtemp(join(tmpdir(), 'w2s-parquet-store-')));
  const manifest = await ingestDataset({ source: await folderWith('good.parquet'), format: 'embeddings', store, options });
  assert.deepEqual(manifest.examples, { kind: 'embedding', dim: 6, dtype: 'float32', sourceDtype: 'float32' });
  assert.equal(manifest.source.files?.[0]?.path, 'good.parquet');
  const refs = await datasetRefs(store, manifest);
  const seen: number[] = [];
  for (const ref of Object.values(refs.splits).flat()) {
    const shard = decodeEmbeddingShard(await store.get(ref.key), ref.key, { dim: 6 });
    for (let r = 0; r < shard.rows; r++) {
      const i = shard.index[r]! - 500;
      seen.push(i);
      assert.equal(shard.labels[r], i % 3);
      assert.deepEqual(Array.from(shard.vectors.subarray(r * 6, r * 6 + 6)), [0, 1, 2, 3, 4, 5].map((j) => ((i * 7 + j * 3) % 17) / 16));
    }
  }
  assert.deepEqual(seen.sort((a, b) => a - b), Array.from({ length: 60 }, (_, i) => i), 'every example once');
});

test('bad Parquet files are refused naming the file, and nothing is written', async () => {
  const cases: Array<[string, RegExp]> = [
    ['ragged.parquet', /vectors differ in length: index 517 has 4 values, index 500 has 6; every embedding must have the same length/],
    ['nan.parquet', /the vector of index 535 holds NaN at position 2; every value must be a finite number/],
    ['null-label.parquet', /column "label" is null at row 8; unlabelled examples are not supported/],
    ['float-label.parquet', /column "label" has type DOUBLE, expected an integer type/],
  ];
  for (const [name, message] of cases) {
    const folder = await folderWith(name);
    const store = openStore(await mkdtemp(join(tmpdir(), 'w2s-parquet-store-')));
    await assert.rejects(
      ingestDataset({ source: folder, format: 'embeddings', store, options }),
      (error: unknown) => isBadInputError(error) && error.message.startsWith(join(folder, name)) && message.test(error.message),
      name,
    );
    assert.deepEqual(await store.list(''), [], `${name}: nothing written`);
  }
});
