import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isBadInputError } from '../../../core/errors.js';
import { manifestKey } from '../../../storage/layout.js';
import { ingestDataset } from '../../../storage/ingest/ingest.js';
import { datasetRefs, readManifest, serializeManifest } from '../../../storage/ingest/manifest-io.js';
import { openStore } from '../../../storage/open.js';
import { FakeGcs } from '../../harness/fake-gcs.js';
import { writeIdxSource } from '../sources.js';

const FASHION = '/usr/share/datasets/fashion-mnist';
let gcs: FakeGcs;
let root: string;

before(async () => {
  gcs = await FakeGcs.start({ buckets: ['w2s-datasets'] });
  root = await mkdtemp(join(tmpdir(), 'w2s-gcs-ingest-'));
});

after(async () => {
  await gcs.dispose();
  await rm(root, { recursive: true, force: true });
});

test('ingesting into GCS gives the same dataset, byte for byte, as a local folder', async () => {
  const options = { limit: { train: 3000, test: 1000 }, shardSize: 1000 };
  const remote = openStore('gs://w2s-datasets/team/w2s', { gcs: { emulatorHost: gcs.url } });
  const local = openStore(join(root, 'local'));
  const inGcs = await ingestDataset({ source: FASHION, format: 'idx', store: remote, seed: 7, options });
  const inFolder = await ingestDataset({ source: FASHION, format: 'idx', store: local, seed: 7, options });
  assert.equal(serializeManifest(inGcs), serializeManifest(inFolder));
  const read = await readManifest(remote, inGcs.datasetId);
  assert.equal(read.datasetId, inGcs.datasetId);
  const refs = await datasetRefs(remote, read);
  assert.equal(refs.manifest.key, manifestKey(inGcs.datasetId));
  for (const shard of refs.splits.weak) assert.equal((await remote.stat(shard.key)).sha256, shard.sha256);
  // Idempotent against GCS too: write-once puts of the same bytes succeed.
  assert.equal((await ingestDataset({ source: FASHION, format: 'idx', store: remote, seed: 7, options })).datasetId, inGcs.datasetId);
});

test('bad input leaves nothing in the bucket, and a tampered manifest is refused', async () => {
  const remote = openStore('gs://w2s-datasets/bad', { gcs: { emulatorHost: gcs.url } });
  const source = join(root, 'bad-source');
  const labels = Array.from({ length: 40 }, (_, i) => i % 4);
  await writeIdxSource(source, labels, labels);
  await writeFile(join(source, 't10k-labels-idx1-ubyte.gz'), 'not gzip, not idx');
  await assert.rejects(ingestDataset({ source, format: 'idx', store: remote }), (error: unknown) => isBadInputError(error) && /t10k-labels-idx1-ubyte\.gz: not an IDX file/.test(error.message));
  assert.deepEqual(await remote.list(''), []);

  await writeIdxSource(source, labels, labels);
  const manifest = await ingestDataset({ source, format: 'idx', store: remote });
  const tampered = openStore('gs://w2s-datasets/tampered', { gcs: { emulatorHost: gcs.url } });
  await tampered.put(manifestKey(manifest.datasetId), serializeManifest({ ...manifest, seed: manifest.seed + 1 }));
  await assert.rejects(readManifest(tampered, manifest.datasetId), /content hashes to [0-9a-f]{64}, not its id/);
  await assert.rejects(readManifest(remote, 'f'.repeat(64)), /no manifest at gs:\/\/w2s-datasets\/bad\/datasets\/f+\/manifest\.json; ingest the dataset first/);
  await assert.rejects(readManifest(remote, 'latest'), /is not a dataset id/);
});
