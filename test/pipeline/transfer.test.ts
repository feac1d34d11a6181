/**
 * Transfer through the pipeline, against a real Temporal dev server and real
 * Fashion-MNIST: the students' backbone is pretrained on classes 0-4
 * (`init.pretrain.dataset`) and the weak-to-strong task is on classes 5-9
 * (`dataset.classes`). The pretraining reads only images of its own classes
 * and the task only its own, relabelled 0-4; a pretraining on images of
 * another size than the task's, or on a class its source lacks, is refused,
 * naming the field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { WorkflowFailedError } from '@temporalio/client';
import type { LineageRecord } from '../../schemas/lineage.js';
import type { Manifest, SplitName } from '../../schemas/manifest.js';
import type { PipelineResult } from '../../schemas/stages.js';
import { decodeImageShard, openStore, readIdxLabels, readManifest } from '../../storage/index.js';
import { shardKey } from '../../storage/layout.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { FASHION_MNIST, lineageOf, localStorageRoot, startRun, tinyConfig } from '../harness/pipeline.js';
import { TemporalHarness } from '../harness/temporal.js';

const PRETRAIN_CLASSES = [0, 1, 2, 3, 4];
const TASK_CLASSES = [5, 6, 7, 8, 9];
const TRAINING_SPLITS: readonly SplitName[] = ['weak', 'transfer', 'validation'];

/** The dataset a stage record read, by the manifest among its inputs (or outputs). */
async function datasetOf(store: ObjectStore, record: LineageRecord | undefined, side: 'inputs' | 'outputs'): Promise<Manifest> {
  const uri = record?.[side].find((o) => o.role === 'manifest')?.uri ?? '';
  const id = /datasets\/([0-9a-f]{64})\/manifest\.json$/.exec(uri)?.[1];
  assert.ok(id, `${record?.stage ?? 'stage'} names a dataset manifest (${uri})`);
  return readManifest(store, id);
}

/** Every row of a dataset's splits: its dataset index, label and the sha256 of its shard. */
async function rowsOf(store: ObjectStore, manifest: Manifest, splits: readonly SplitName[]) {
  const rows: Array<{ index: number; label: number; shard: string }> = [];
  for (const split of splits) {
    for (const shard of manifest.splits[split]?.shards ?? []) {
      const decoded = decodeImageShard(await store.get(shardKey(manifest.datasetId, shard.path)), shard.path, { shape: manifest.shape, rows: shard.rows });
      decoded.index.forEach((index, row) => rows.push({ index, label: decoded.labels![row]!, shard: shard.sha256 }));
    }
  }
  return rows;
}

test('transfer: the backbone is pretrained on classes 0-4 only, the task sees classes 5-9 only, relabelled 0-4', async () => {
  const temporal = await TemporalHarness.start();
  const workers = await temporal.inProcessWorkers();
  try {
    const storage = await localStorageRoot();
    const store = openStore(storage);
    const pretrainData = { source: FASHION_MNIST, format: 'idx' as const, classes: PRETRAIN_CLASSES, limit: { train: 400, test: 10 }, shardSize: 100 };
    const base = tinyConfig(storage, {
      dataset: { source: FASHION_MNIST, format: 'idx', classes: TASK_CLASSES, limit: { train: 800, test: 300 }, shardSize: 150 },
      strong: { model: 'cnn-small', epochs: 2, batchSize: 32, init: { pretrain: { epochs: 1, batchSize: 64, dataset: pretrainData }, mode: 'probe' } },
      students: [{ method: 'ceiling' }, { method: 'hard' }],
    });

    const result = (await (await startRun(temporal.client, base, 'transfer-run')).result()) as PipelineResult;
    assert.deepEqual(result.rows.map((r) => r.name), ['weak', 'ceiling', 'hard']);
    // Five classes: chance is 0.2.
    for (const row of result.rows) assert.ok(row.accuracy > 0.3, `${row.name} accuracy ${row.accuracy} is not that of a trained model`);

    const records = await lineageOf(storage, 'transfer-run');
    const completed = (stage: string) => records.find((r) => r.stage === stage && r.status === 'completed');
    const sourceLabels = await readIdxLabels(join(FASHION_MNIST, 'train-labels-idx1-ubyte.gz'));
    const testLabels = await readIdxLabels(join(FASHION_MNIST, 't10k-labels-idx1-ubyte.gz'));
    const trainCount = 400;

    // The pretraining: its own dataset, ingested as a stage of the run, and every training image of it, nothing else.
    const pretrainSet = await datasetOf(store, completed('ingest-pretrain'), 'outputs');
    assert.deepEqual(pretrainSet.classes, ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat']);
    const pretrain = completed('pretrain');
    assert.equal(pretrain?.cached, false, 'the backbone was pretrained in this run');
    assert.equal((await datasetOf(store, pretrain, 'inputs')).datasetId, pretrainSet.datasetId, 'the pretraining reads its own dataset');
    const seen = await rowsOf(store, pretrainSet, TRAINING_SPLITS);
    assert.deepEqual(
      pretrain?.inputs.filter((i) => i.role === 'shard').map((i) => i.sha256).sort(),
      [...new Set(seen.map((r) => r.shard))].sort(),
      'the pretraining reads every training shard of its dataset and no other',
    );
    const perClass = PRETRAIN_CLASSES.map((c) => sourceLabels.subarray(0, trainCount).filter((l) => l === c).length);
    assert.equal(seen.length, perClass.reduce((a, b) => a + b, 0), 'every training image of classes 0-4 among the first 400');
    assert.equal((pretrain?.config as { images?: { count?: number } }).images?.count, seen.length);
    for (const row of seen) {
      assert.ok(row.index < trainCount, `pretraining image ${row.index} is a training image`);
      assert.ok(PRETRAIN_CLASSES.includes(sourceLabels[row.index]!), `pretraining image ${row.index} is of class ${sourceLabels[row.index]}`);
    }

    // The task: classes 5-9 alone, train and test alike, labelled by their position in dataset.classes.
    const taskSet = await datasetOf(store, completed('ingest'), 'outputs');
    assert.notEqual(taskSet.datasetId, pretrainSet.datasetId);
    assert.deepEqual(taskSet.classes, ['Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']);
    const task = await rowsOf(store, taskSet, ['weak', 'transfer', 'validation', 'test']);
    for (const row of task) {
      const original = row.index < 800 ? sourceLabels[row.index]! : testLabels[row.index - 800]!;
      assert.ok(TASK_CLASSES.includes(original), `task image ${row.index} is of class ${original}`);
      assert.equal(row.label, original - 5, `task image ${row.index} is relabelled`);
    }
    assert.equal(task.filter((r) => r.index >= 800).length, Array.from(testLabels.subarray(0, 300)).filter((l) => l >= 5).length, 'the test split is the test images of classes 5-9');
    const backbone = pretrain?.outputs.find((o) => o.role === 'backbone')?.sha256;
    for (const stage of ['train-ceiling', 'train-hard']) {
      assert.deepEqual(completed(stage)?.inputs.filter((i) => i.role === 'backbone').map((i) => i.sha256), [backbone], `${stage} starts from the transferred backbone`);
    }

    // Pretraining images of another size than the task's (a folder of 32x32 images) are refused before anything is pretrained.
    const folder = join(storage, 'other-images');
    for (const name of ['a', 'b']) {
      await mkdir(join(folder, name), { recursive: true });
      for (let i = 0; i < 6; i++) {
        await sharp(Buffer.alloc(32 * 32, 40 * i + (name === 'a' ? 0 : 20)), { raw: { width: 32, height: 32, channels: 1 } }).png().toFile(join(folder, name, `${i}.png`));
      }
    }
    const other = { source: folder, format: 'folder' as const, channels: 1 as const, splits: { weak: 0.5, transfer: 0.5, validation: 0, test: 0.2 }, shardSize: 100, cifarLabels: 'fine' as const };
    const resized = { ...base, strong: { ...base.strong, init: { pretrain: { ...base.strong.init!.pretrain!, dataset: other }, mode: 'probe' as const } } };
    const error = await (await startRun(temporal.client, resized, 'transfer-resized')).result().then(() => assert.fail('a 32x32 backbone for 28x28 images was pretrained'), (e: unknown) => e);
    assert.ok(error instanceof WorkflowFailedError, String(error));
    const cause = (error.cause as { cause?: { message: string; nonRetryable?: boolean } } | undefined)?.cause;
    assert.match(cause?.message ?? '', /init\.pretrain\.dataset: its images are 32x32x1 .* the run's dataset's are 28x28x1; give it resize/);
    assert.equal(cause?.nonRetryable, true);

    // A class the pretraining's source lacks is refused, naming the pretraining's field, not the task's.
    const missing = { ...base, strong: { ...base.strong, init: { pretrain: { ...base.strong.init!.pretrain!, dataset: { ...base.strong.init!.pretrain!.dataset!, classes: [0, 12] } }, mode: 'probe' as const } } };
    const refused = await (await startRun(temporal.client, missing, 'transfer-missing-class')).result().then(() => assert.fail('a pretraining on class 12 of a 10-class source ran'), (e: unknown) => e);
    assert.ok(refused instanceof WorkflowFailedError, String(refused));
    const reason = (refused.cause as { cause?: { message: string; nonRetryable?: boolean } } | undefined)?.cause;
    assert.match(reason?.message ?? '', /^init\.pretrain\.dataset\.classes: the source has classes 0\.\.9; there is no class 12/);
    assert.equal(reason?.nonRetryable, true);
  } finally {
    await workers.shutdown();
    await temporal.stop();
  }
});
