/**
 * A run on embeddings computed elsewhere, against a real Temporal dev server:
 * 3000 real Fashion-MNIST images as 64-value vectors (a fixed random
 * projection of their pixels, standing in for a backbone run outside w2s),
 * written as an Arrow file and ingested by the run's own ingest stage. A
 * linear weak teacher and two probe heads (the ceiling and adaptconf) train
 * on the vectors as they are: no features stage, no backbone; every row is
 * evaluated, and lineage names the embedding dataset in every training and
 * evaluation. The same file read from fake-gcs-server is the same dataset
 * (every training a cache hit). A config that asks for an image model or augmentation on the
 * vectors is refused by field before any stage runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PipelineResult } from '../../schemas/stages.js';
import { manifestKey } from '../../storage/layout.js';
import { readManifest } from '../../storage/ingest/manifest-io.js';
import { openStore } from '../../storage/open.js';
import { embeddingColumns, embeddingsFileBytes, fashionEmbeddings, writeEmbeddingsFolder } from '../harness/embeddings.js';
import { FakeGcs } from '../harness/fake-gcs.js';
import { planRunConfig } from '../../cli/config-file.js';
import { failureOf, lineageOf, localStorageRoot, startRun, submitConfig, tinyConfig } from '../harness/pipeline.js';
import { TemporalHarness } from '../harness/temporal.js';

test('a linear teacher and probe students train on ingested embeddings of real Fashion-MNIST; lineage names the embedding dataset; image-only settings refused by field', async (t) => {
  const file = embeddingsFileBytes(embeddingColumns(await fashionEmbeddings(3000, 64)));
  const folder = await writeEmbeddingsFolder(join(await mkdtemp(join(tmpdir(), 'w2s-embeddings-run-')), 'dino-like'), file);
  const gcs = await FakeGcs.start({ buckets: ['w2s-vectors'] });
  process.env.STORAGE_EMULATOR_HOST = gcs.url;
  await openStore('gs://w2s-vectors/dino-like').put('embeddings.arrow', file);
  const storage = await localStorageRoot();
  const temporal = await TemporalHarness.start();
  const workers = await temporal.inProcessWorkers();
  try {
    const dataset = { source: folder, format: 'embeddings' as const, shardSize: 500 };
    const config = tinyConfig(storage, {
      dataset,
      teacher: { model: 'linear', epochs: 2, batchSize: 32 },
      strong: { model: 'linear', epochs: 6, batchSize: 32, optimizer: { name: 'adam', lr: 0.01 } },
    });
    const result = (await (await startRun(temporal.client, config, 'embeddings-run')).result()) as PipelineResult;
    assert.deepEqual(result.rows.map((r) => [r.name, r.role]), [['weak', 'weak'], ['ceiling', 'ceiling'], ['adaptconf', 'student']]);
    t.diagnostic(`accuracies: ${result.rows.map((r) => `${r.name} ${r.accuracy}`).join(', ')}`);
    // Chance is 0.1; a linear head on 64 random projections of the pixels reaches about 0.7.
    for (const row of result.rows) assert.ok(row.accuracy > 0.5, `${row.name} accuracy ${row.accuracy} is not that of a trained head`);

    const manifest = await readManifest(openStore(storage), result.datasetId);
    assert.deepEqual(manifest.examples, { kind: 'embedding', dim: 64, dtype: 'float32', sourceDtype: 'float32' });
    assert.equal(result.manifest.key, manifestKey(result.datasetId));

    const records = await lineageOf(storage, 'embeddings-run');
    assert.deepEqual(records.filter((r) => r.kind === 'features' || r.kind === 'import-layers' || r.kind === 'pretrain'), [], 'the backbone is the identity: nothing to compute or import');
    const ingest = records.find((r) => r.kind === 'ingest' && r.status === 'completed');
    assert.deepEqual(ingest?.outputs.filter((o) => o.role === 'manifest').map((o) => o.key), [manifestKey(result.datasetId)]);
    for (const name of ['weak', 'ceiling', 'adaptconf']) {
      for (const stage of [`train-${name}`, `evaluate-${name}`]) {
        const record = records.find((r) => r.stage === stage && r.status === 'completed');
        assert.deepEqual(record?.inputs.filter((i) => i.role === 'manifest').map((i) => i.key), [manifestKey(result.datasetId)], `${stage} names the embedding dataset`);
      }
    }
    const student = records.find((r) => r.stage === 'train-adaptconf' && r.status === 'completed');
    assert.ok(student?.inputs.some((i) => i.role === 'soft-labels'), 'the adaptconf student learned from the teacher\'s soft labels of the vectors');

    // The same file in a bucket: the workers read it from there into the same dataset, so every training is a cache hit.
    const fromBucket = (await (await startRun(temporal.client, { ...config, dataset: { ...config.dataset, source: 'gs://w2s-vectors/dino-like' } }, 'embeddings-bucket')).result()) as PipelineResult;
    assert.equal(fromBucket.datasetId, result.datasetId);
    assert.deepEqual(fromBucket.rows.map((r) => r.accuracy), result.rows.map((r) => r.accuracy));
    const bucketRecords = await lineageOf(storage, 'embeddings-bucket');
    assert.deepEqual(bucketRecords.filter((r) => r.kind === 'train' && r.status === 'completed').map((r) => r.cached), [true, true, true]);
    assert.deepEqual(await openStore('gs://w2s-vectors/dino-like').list(''), ['embeddings.arrow'], 'the source bucket is only read');

    // Settings that need images: refused by field, before any stage runs.
    const refused = tinyConfig(storage, {
      dataset,
      teacher: { model: 'linear', epochs: 1 },
      strong: { model: 'cnn-small', epochs: 1, augment: { cropPadding: 0, flip: true } },
    });
    // The CLI's planning refuses it before anything starts; a client that submits the config as written gets the validate stage's refusal.
    assert.throws(() => planRunConfig(refused, { runId: 'embeddings-refused' }), /strong\.model: "cnn-small" takes images/);
    const failure = await failureOf((await submitConfig(temporal.client, refused, 'embeddings-refused')).result());
    assert.match(failure.message, /strong\.model: "cnn-small" takes images; on an embeddings dataset the examples are vectors, so use linear or mlp/);
    assert.match(failure.message, /strong\.augment\.flip: flips images; vectors cannot be augmented/);
    assert.equal(failure.nonRetryable, true);
    await assert.rejects(lineageOf(storage, 'embeddings-refused'), /no lineage records/, 'nothing ran for the refused run');
  } finally {
    await workers.shutdown();
    await temporal.stop();
    await gcs.dispose();
    delete process.env.STORAGE_EMULATOR_HOST;
  }
});
