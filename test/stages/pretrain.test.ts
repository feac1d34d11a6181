/**
 * The pretrain stage on real Fashion-MNIST images: a pretraining stopped
 * midway resumes from its checkpoint and ends with the same backbone, bit
 * for bit, as one that never stopped; another run asking for the same
 * pretraining gets the cached backbone; a probe student learns only its
 * classifier on the frozen backbone, a finetune student every weight.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../ml/backend.js';
import { loadModel } from '../../ml/models/index.js';
import { readLineage } from '../../lineage/index.js';
import { isBadInputError } from '../../core/errors.js';
import type { RunConfig } from '../../schemas/pipeline.js';
import { studentTrainConfig } from '../../schemas/plan.js';
import { PretrainConfigSchema, type InitMode } from '../../schemas/pretrain.js';
import type { IngestOutput, PretrainInput, TrainInput } from '../../schemas/stages.js';
import { ingest, localRuntime, pretrainBackbone, StageStoppedError, trainModel } from '../../stages/index.js';
import { openStore } from '../../storage/open.js';
import { tinyConfig } from '../harness/pipeline.js';
import { secondAttempt, stoppingAfter } from '../harness/stage-stops.js';

async function prepared(root: string, model: string): Promise<{ config: RunConfig; data: IngestOutput; input: PretrainInput }> {
  const config = tinyConfig(root, { execution: { checkpointEverySteps: 2, checkpointEverySeconds: 3600 } });
  const data = await ingest({ runId: 'pre', storage: root, stage: 'ingest', dataset: config.dataset, seed: config.seed }, localRuntime());
  const input: PretrainInput = {
    runId: 'pre',
    storage: root,
    stage: 'pretrain',
    model,
    pretrain: PretrainConfigSchema.parse({ epochs: 1, batchSize: 32 }),
    manifest: data.manifest,
    shards: [...(data.splits.weak ?? []), ...(data.splits.transfer ?? [])],
    execution: config.execution,
  };
  return { config, data, input };
}

test('a stopped pretraining resumes bit-identically; a second run asking for it gets the cached backbone', async () => {
  await initBackend();
  const reference = await mkdtemp(join(tmpdir(), 'w2s-pre-ref-'));
  const root = await mkdtemp(join(tmpdir(), 'w2s-pre-'));
  try {
    const uninterrupted = await pretrainBackbone((await prepared(reference, 'cnn-small')).input, localRuntime());
    assert.equal(uninterrupted.cached, false);
    assert.ok(uninterrupted.steps >= 8, `enough steps to stop midway: ${uninterrupted.steps}`);
    assert.ok(Number.isFinite(uninterrupted.finalLoss));

    const { input } = await prepared(root, 'cnn-small');
    await assert.rejects(pretrainBackbone(input, stoppingAfter(4)), StageStoppedError);

    const resumed = await pretrainBackbone(input, secondAttempt());
    assert.ok(resumed.resumedFromStep > 0 && resumed.resumedFromStep < resumed.steps, `resumed midway: from step ${resumed.resumedFromStep} of ${resumed.steps}`);
    assert.equal(resumed.backbone.sha256, uninterrupted.backbone.sha256, 'the resumed pretraining ends with the uninterrupted weights');

    // Another run, another seed of the students: the same pretraining config and data are the same backbone.
    const again = await pretrainBackbone({ ...input, runId: 'another-run' }, localRuntime());
    assert.equal(again.cached, true, 'the second request is a cache hit');
    assert.equal(again.backbone.sha256, uninterrupted.backbone.sha256);
    const records = await readLineage(openStore(root), 'another-run');
    const record = records.find((r) => r.stage === 'pretrain');
    assert.ok(record, 'the cache hit is recorded in lineage');
    assert.equal(record.cached, true);
    assert.deepEqual(record.outputs.map((o) => [o.role, o.sha256]), [['backbone', uninterrupted.backbone.sha256]], 'lineage names the backbone and its hash');
    assert.ok(record.inputs.every((i) => i.role === 'manifest' || i.role === 'shard'), 'pretraining reads images, no soft labels');
  } finally {
    await rm(reference, { recursive: true, force: true });
    await rm(root, { recursive: true, force: true });
  }
});

test('a probe student learns only its classifier on the frozen backbone; finetune moves every weight', async () => {
  await initBackend();
  const root = await mkdtemp(join(tmpdir(), 'w2s-probe-'));
  try {
    const { config, data, input } = await prepared(root, 'cnn');
    const pretrained = await pretrainBackbone(input, localRuntime());
    const store = openStore(root);
    const backbone = loadModel(await store.get(pretrained.backbone.key));
    const student = (mode: InitMode, model = 'cnn'): TrainInput => ({
      runId: 'pre',
      storage: root,
      stage: `train-${mode}`,
      role: 'student',
      name: mode,
      train: { ...studentTrainConfig(config, { method: 'ceiling' }), model, epochs: 1 },
      manifest: data.manifest,
      shards: data.splits.transfer ?? [],
      execution: config.execution,
      backbone: { model: pretrained.backbone, mode },
    });
    try {
      const changed = async (mode: InitMode) => {
        const out = await trainModel(student(mode), localRuntime());
        const trained = loadModel(await store.get(out.model.key));
        try {
          return trained.params.all().filter(({ name, variable }) => {
            const before = backbone.params.get(name)?.variable;
            return !before || before.shape.join('x') !== variable.shape.join('x') || !equal(before.dataSync(), variable.dataSync());
          }).map((p) => p.name);
        } finally {
          trained.dispose();
        }
      };
      assert.deepEqual(await changed('probe'), ['fc2/weight', 'fc2/bias'], 'probe: the backbone (weights and batch-norm statistics) is unchanged, only the classifier learned');
      const finetuned = await changed('finetune');
      assert.ok(finetuned.includes('conv1/conv/filter') || finetuned.some((n) => n.startsWith('conv1/')), `finetune: the backbone learns too (changed: ${finetuned.join(', ')})`);
      assert.ok(finetuned.includes('fc1/weight'));

      await assert.rejects(trainModel(student('finetune', 'cnn-small'), localRuntime()), (error: unknown) => isBadInputError(error) && /is a cnn backbone; a cnn-small student/.test((error as Error).message));
    } finally {
      backbone.dispose();
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

function equal(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
