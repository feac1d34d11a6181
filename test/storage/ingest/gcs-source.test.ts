/**
 * Sources in a bucket: ingest streams IDX (real Fashion-MNIST, gzipped),
 * CIFAR batches and image folders from fake-gcs-server and must produce the
 * very dataset (same id, same shard bytes) as the same files in a folder.
 * The objects are uploaded with the plain GCS client, as `gcloud storage cp`
 * would, so they carry no sha256 of ours.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Storage } from '@google-cloud/storage';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities, createActivityDeps } from '../../../activities/index.js';
import { runWorldProblems } from '../../../storage/run-checks.js';
import type { ValidatedRun } from '../../../stages/validate-run.js';
import { isBadInputError } from '../../../core/errors.js';
import { readRunConfig } from '../../../cli/config-file.js';
import { submittedConfig } from '../../../cli/start-run.js';
import { ingestDataset } from '../../../storage/ingest/ingest.js';
import { serializeManifest } from '../../../storage/ingest/manifest-io.js';
import { openStore } from '../../../storage/open.js';
import { openSourceTree } from '../../../storage/readers/source-tree.js';
import { sourceProblems } from '../../../storage/readers/source-check.js';
import type { IngestOptionsInput } from '../../../schemas/manifest.js';
import { DatasetConfigSchema } from '../../../schemas/pipeline.js';
import type { IngestOutput } from '../../../schemas/stages.js';
import { FakeGcs } from '../../harness/fake-gcs.js';
import { writeCifar10Source, writeIdxSource, writeImageFolder } from '../sources.js';

const { ingest, validateRun } = createActivities(createActivityDeps());

const FASHION = '/usr/share/datasets/fashion-mnist';
const BUCKET = 'w2s-sources';
let gcs: FakeGcs;
let work: string;

before(async () => {
  gcs = await FakeGcs.start({ buckets: [BUCKET] });
  work = await mkdtemp(join(tmpdir(), 'w2s-gcs-source-'));
});

after(async () => {
  await gcs.dispose();
  await rm(work, { recursive: true, force: true });
});

const openRemote = (uri: string) => openStore(uri, { gcs: { emulatorHost: gcs.url } });

/** Copies every file under `folder` to `gs://BUCKET/<prefix>/…` with the GCS client alone. */
async function upload(folder: string, prefix: string): Promise<string> {
  const bucket = new Storage({ apiEndpoint: gcs.url, projectId: 'test' }).bucket(BUCKET);
  for (const entry of await readdir(folder, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    await bucket.file(`${prefix}/${relative(folder, path).split(sep).join('/')}`).save(await readFile(path), { resumable: false });
  }
  return `gs://${BUCKET}/${prefix}`;
}

/** Ingests the folder and its bucket copy and checks they give the same manifest (and so the same shards). */
async function sameAsLocal(folder: string, uri: string, format: 'idx' | 'cifar' | 'folder', options: IngestOptionsInput): Promise<void> {
  const fromBucket = await ingestDataset({ source: uri, openSourceStore: openRemote, format, options, store: openStore(join(work, `${format}-remote`)), seed: 3 });
  const fromFolder = await ingestDataset({ source: folder, format, options, store: openStore(join(work, `${format}-local`)), seed: 3 });
  assert.equal(serializeManifest(fromBucket), serializeManifest(fromFolder));
  assert.equal(fromBucket.source.fileCount, fromFolder.source.fileCount);
}

test('real Fashion-MNIST streamed from a bucket gives the same dataset as the local files', async () => {
  const uri = await upload(FASHION, 'fashion-mnist');
  await sameAsLocal(FASHION, `${uri}/`, 'idx', { limit: { train: 3000, test: 1000 }, shardSize: 1000 });
});

test('CIFAR batches and an image folder from a bucket match their local copies', async () => {
  const cifar = join(work, 'cifar');
  await writeCifar10Source(cifar, 12, 10);
  await sameAsLocal(cifar, await upload(cifar, 'cifar'), 'cifar', { splits: { weak: 0.4, transfer: 0.4, validation: 0.2 } });

  const images = join(work, 'images');
  await writeImageFolder(join(images, 'train'), { cat: 4, dog: 5, emu: 3 }, 8, 6);
  await writeImageFolder(join(images, 'test'), { cat: 2, dog: 2, emu: 2 }, 8, 6);
  await writeFile(join(images, 'train', 'cat', '.DS_Store'), 'not an image, hidden');
  await sameAsLocal(images, await upload(images, 'images'), 'folder', { splits: { weak: 0.5, transfer: 0.5, validation: 0 } });
});

test('a missing prefix, a missing object and a corrupt object are bad input naming the URI; nothing is stored', async () => {
  const store = openStore(join(work, 'refused'));
  const refused = async (source: string, pattern: RegExp): Promise<void> => {
    await assert.rejects(ingestDataset({ source, openSourceStore: openRemote, format: 'idx', store }), (error: unknown) => isBadInputError(error) && pattern.test(error.message));
  };
  await refused(`gs://${BUCKET}/absent`, /^IDX source gs:\/\/w2s-sources\/absent: no objects under this prefix$/);

  const tree = await openSourceTree(`gs://${BUCKET}/fashion-mnist`, { open: openRemote });
  await assert.rejects(tree.read('train-images-idx3-ubyte'), /^BadInputError: gs:\/\/w2s-sources\/fashion-mnist\/train-images-idx3-ubyte: no such object$/);

  const source = join(work, 'broken');
  const labels = Array.from({ length: 40 }, (_, i) => i % 4);
  await writeIdxSource(source, labels, labels);
  await writeFile(join(source, 't10k-labels-idx1-ubyte.gz'), 'not gzip, not idx');
  await refused(await upload(source, 'broken'), /^IDX file gs:\/\/w2s-sources\/broken\/t10k-labels-idx1-ubyte\.gz: not an IDX file/);

  await rm(join(source, 'train-labels-idx1-ubyte.gz'));
  await refused(await upload(source, 'unpaired'), /^IDX source gs:\/\/w2s-sources\/unpaired: train-images-idx3-ubyte\.gz has no matching labels file$/);
  assert.deepEqual(await store.list(''), []);
});

test('the client checks only the form of a bucket source; the workers look inside before any work', async () => {
  // As submitted: `w2s run` resolves the storage root before the workers see it.
  const config = submittedConfig(readRunConfig(join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'examples', 'fashion-mnist.yaml')));
  const at = (source: string) => ({ ...config, dataset: { ...config.dataset, source } });
  // The submitting machine needs neither the data nor access to the bucket.
  assert.deepEqual(runWorldProblems(at(`gs://${BUCKET}/not-there-yet`)).filter((p) => p.startsWith('dataset.source')), []);
  assert.deepEqual(runWorldProblems(at('gs://Not_A_Bucket/x')).filter((p) => p.startsWith('dataset.source')), [
    'dataset.source: storage URI "gs://Not_A_Bucket/x": "Not_A_Bucket" is not a valid GCS bucket name',
  ]);

  const open = (source: string) => openSourceTree(source, { open: openRemote });
  assert.deepEqual(await sourceProblems(await open(`gs://${BUCKET}/fashion-mnist`), 'idx'), []);
  assert.deepEqual(await sourceProblems(await open(`gs://${BUCKET}/cifar`), 'idx'), [`dataset.source: gs://${BUCKET}/cifar holds no IDX image file (*-images-idx3-ubyte[.gz])`]);
  assert.deepEqual(await sourceProblems(await open(`gs://${BUCKET}/nothing`), 'cifar'), [`dataset.source: source gs://${BUCKET}/nothing: no objects under this prefix`]);

  // The workflow's first stage, as a worker runs it (stores found through STORAGE_EMULATOR_HOST).
  process.env.STORAGE_EMULATOR_HOST = gcs.url;
  try {
    assert.equal((await (new MockActivityEnvironment().run(validateRun, { config: at(`gs://${BUCKET}/fashion-mnist`) }) as Promise<ValidatedRun>)).config.dataset.source, `gs://${BUCKET}/fashion-mnist`);
    await assert.rejects(new MockActivityEnvironment().run(validateRun, { config: at(`gs://${BUCKET}/nothing`) }), /dataset\.source: source gs:\/\/w2s-sources\/nothing: no objects under this prefix/);
  } finally {
    delete process.env.STORAGE_EMULATOR_HOST;
  }
});

test('the ingest stage on a worker reads its source from the bucket and stores the dataset there', async () => {
  const dataset = DatasetConfigSchema.parse({ source: `gs://${BUCKET}/fashion-mnist`, format: 'idx', limit: { train: 2000, test: 500 }, shardSize: 500 });
  process.env.STORAGE_EMULATOR_HOST = gcs.url;
  try {
    const out: IngestOutput = await new MockActivityEnvironment().run(ingest, { runId: 'from-bucket', storage: `gs://${BUCKET}/root`, stage: 'ingest', dataset, seed: 5 });
    const { source: _, format, ...options } = dataset;
    const local = await ingestDataset({ source: FASHION, format, options, store: openStore(join(work, 'stage-local')), seed: 5 });
    assert.equal(out.datasetId, local.datasetId);
    assert.equal(out.manifest.key, `datasets/${local.datasetId}/manifest.json`);
    assert.deepEqual(
      out.splits.weak!.map((s) => s.sha256),
      local.splits.weak.shards.map((s) => s.sha256),
    );
  } finally {
    delete process.env.STORAGE_EMULATOR_HOST;
  }
});
