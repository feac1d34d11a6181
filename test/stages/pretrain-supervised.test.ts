/**
 * Supervised pretraining on the pool split, on real Fashion-MNIST images:
 * it reads the pool's labels and no other split's (a stage handed other
 * shards refuses; labels changed outside the pool leave the backbone
 * bit-identical, labels changed inside it do not), a stopped pretraining
 * resumes bit-identically, another run gets the cached backbone, and lineage
 * names the pool shards it read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isBadInputError } from '../../core/errors.js';
import { readLineage } from '../../lineage/index.js';
import { initBackend } from '../../ml/backend.js';
import type { DatasetConfig } from '../../schemas/pipeline.js';
import { PretrainConfigSchema } from '../../schemas/pretrain.js';
import type { IngestOutput, PretrainInput } from '../../schemas/stages.js';
import { ingest, localRuntime, pretrainBackbone, StageStoppedError } from '../../stages/index.js';
import { openStore } from '../../storage/open.js';
import { tinyConfig } from '../harness/pipeline.js';
import { secondAttempt, stoppingAfter } from '../harness/stage-stops.js';

/** 600 training images: W 20%, S 30%, validation 10%, pool 40% (240 images, 7 steps of 32). */
const SPLITS = { weak: 0.2, transfer: 0.3, validation: 0.1, pool: 0.4 };

async function prepared(root: string, dataset: Partial<DatasetConfig> = {}, runId = 'pre'): Promise<{ data: IngestOutput; input: PretrainInput }> {
  const config = tinyConfig(root, { execution: { checkpointEverySteps: 2, checkpointEverySeconds: 3600 } });
  const data = await ingest({ runId, storage: root, stage: 'ingest', dataset: { ...config.dataset, splits: { ...config.dataset.splits, ...SPLITS }, ...dataset }, seed: config.seed }, localRuntime());
  const input: PretrainInput = {
    runId,
    storage: root,
    stage: 'pretrain',
    model: 'cnn-small',
    pretrain: PretrainConfigSchema.parse({ method: 'supervised', epochs: 1, batchSize: 32, representationDim: 16 }),
    manifest: data.manifest,
    shards: data.splits.pool ?? [],
    execution: config.execution,
  };
  return { data, input };
}

test('supervised pretraining reads the pool: resumes bit-identically, is cached for another run, and lineage names the pool shards', async () => {
  await initBackend();
  const reference = await mkdtemp(join(tmpdir(), 'w2s-sup-ref-'));
  const root = await mkdtemp(join(tmpdir(), 'w2s-sup-'));
  try {
    const uninterrupted = await pretrainBackbone((await prepared(reference)).input, localRuntime());
    assert.equal(uninterrupted.cached, false);
    assert.ok(uninterrupted.steps >= 6, `enough steps to stop midway: ${uninterrupted.steps}`);
    assert.ok(Number.isFinite(uninterrupted.finalLoss));

    const { input } = await prepared(root);
    assert.ok(input.shards.length > 0 && input.shards.every((s) => s.split === 'pool'));
    await assert.rejects(pretrainBackbone(input, stoppingAfter(3)), StageStoppedError);
    const resumed = await pretrainBackbone(input, secondAttempt());
    assert.ok(resumed.resumedFromStep > 0 && resumed.resumedFromStep < resumed.steps, `resumed midway: from step ${resumed.resumedFromStep} of ${resumed.steps}`);
    assert.equal(resumed.backbone.sha256, uninterrupted.backbone.sha256, 'the resumed pretraining ends with the uninterrupted weights');

    const again = await pretrainBackbone({ ...input, runId: 'another-run' }, localRuntime());
    assert.equal(again.cached, true, 'the second request is a cache hit');
    assert.equal(again.backbone.sha256, uninterrupted.backbone.sha256);
    const record = (await readLineage(openStore(root), 'another-run')).find((r) => r.stage === 'pretrain');
    assert.ok(record, 'the cache hit is recorded in lineage');
    const shards = record.inputs.filter((i) => i.role === 'shard');
    assert.deepEqual(shards.map((s) => s.key.split('/').at(-2)), input.shards.map(() => 'pool'), 'lineage names the pool shards it read, and only those');
  } finally {
    await rm(reference, { recursive: true, force: true });
    await rm(root, { recursive: true, force: true });
  }
});

test('no label outside the pool reaches supervised pretraining', async () => {
  await initBackend();
  const root = await mkdtemp(join(tmpdir(), 'w2s-sup-leak-'));
  try {
    const clean = await prepared(root);
    const backbone = await pretrainBackbone(clean.input, localRuntime());

    // Handed the run's other splits, the stage refuses before reading a label.
    for (const split of ['weak', 'transfer', 'validation', 'test'] as const) {
      const shards = [...(clean.data.splits.pool ?? []), ...(clean.data.splits[split] ?? [])];
      await assert.rejects(pretrainBackbone({ ...clean.input, runId: `leak-${split}`, shards }, localRuntime()), (error: unknown) => isBadInputError(error) && new RegExp(`pool split only; it was handed ${split} shard`).test((error as Error).message));
    }

    // Half the labels of W, S and validation changed (and so every shard of theirs): the pool is
    // the same images and labels, and the backbone the same bytes, a cache hit.
    const noisy = await prepared(root, { labelNoise: { kind: 'symmetric', rate: 0.5, splits: ['weak', 'transfer', 'validation'] } }, 'noisy');
    assert.notEqual(noisy.data.manifest.sha256, clean.data.manifest.sha256, 'another dataset');
    const besideNoise = await pretrainBackbone(noisy.input, localRuntime());
    assert.equal(besideNoise.backbone.sha256, backbone.backbone.sha256);
    assert.equal(besideNoise.cached, true);

    // The pool's own labels changed: another pretraining (so the labels it reads are the pool's).
    const noisyPool = await prepared(root, { labelNoise: { kind: 'symmetric', rate: 0.5, splits: ['pool'] } }, 'noisy-pool');
    const onNoisyPool = await pretrainBackbone(noisyPool.input, localRuntime());
    assert.equal(onNoisyPool.cached, false);
    assert.notEqual(onNoisyPool.backbone.sha256, backbone.backbone.sha256);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
