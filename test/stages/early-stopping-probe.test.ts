/**
 * Early stopping for a probe student, at the stage, on real Fashion-MNIST:
 * the stage computes the validation split's features with the same frozen
 * backbone, the head stops on them, and the training record names the kept
 * epoch. Stopped midway and retried, the stage ends with the weights and
 * record of one that never stopped; without a validation split it refuses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isBadInputError } from '../../core/errors.js';
import { initBackend } from '../../ml/backend.js';
import { buildModel, serializeModel } from '../../ml/models/index.js';
import { readLineage } from '../../lineage/index.js';
import { studentTrainConfig } from '../../schemas/plan.js';
import { TRAINING_RECORD_ROLE, TrainingRecordSchema } from '../../schemas/report-data.js';
import type { TrainInput } from '../../schemas/stages.js';
import { ingest, localRuntime, StageStoppedError, trainModel } from '../../stages/index.js';
import { putObject } from '../../stages/stores.js';
import { openStore } from '../../storage/open.js';
import { FASHION_MNIST, tinyConfig } from '../harness/pipeline.js';
import { secondAttempt, stoppingAfter } from '../harness/stage-stops.js';

const EPOCHS = 6;

async function prepare(root: string): Promise<TrainInput> {
  const config = tinyConfig(root, {
    dataset: { source: FASHION_MNIST, format: 'idx', limit: { train: 600, test: 200 }, shardSize: 150, splits: { weak: 0.25, transfer: 0.5, validation: 0.25 } },
    strong: { model: 'cnn', epochs: EPOCHS, batchSize: 32, optimizer: { name: 'adam', lr: 0.05 }, earlyStopping: { patience: 1, monitor: 'ground-truth' } },
    execution: { checkpointEverySteps: 2, checkpointEverySeconds: 3600 },
  });
  const data = await ingest({ runId: 'early', storage: root, stage: 'ingest', dataset: config.dataset, seed: config.seed }, localRuntime());
  const encoder = buildModel('cnn', { inputShape: data.shape, numClasses: 16, seed: 3 });
  const backbone = await putObject(openStore(root), 'backbones/cnn.bin', serializeModel(encoder), 'application/octet-stream');
  encoder.dispose();
  return {
    runId: 'early', storage: root, stage: 'train-probe', role: 'student', name: 'probe',
    train: { ...studentTrainConfig(config, { method: 'ceiling' }), seed: 4 },
    manifest: data.manifest, shards: data.splits.transfer ?? [], execution: config.execution,
    backbone: { model: backbone, mode: 'probe' },
    validation: { shards: data.splits.validation ?? [] },
  };
}

async function recordOf(root: string) {
  const stage = (await readLineage(openStore(root), 'early')).find((r) => r.stage === 'train-probe' && r.status === 'completed');
  const ref = stage?.outputs.find((o) => o.role === TRAINING_RECORD_ROLE);
  assert.ok(ref, 'the training names its record');
  return TrainingRecordSchema.parse(JSON.parse(new TextDecoder().decode(await openStore(root).get(ref.key))));
}

test('a probe student stops on the validation features, says which epoch it kept, and resumes bit-identically', async () => {
  await initBackend();
  const roots = [await mkdtemp(join(tmpdir(), 'w2s-early-ref-')), await mkdtemp(join(tmpdir(), 'w2s-early-stop-'))];
  try {
    const uninterrupted = await trainModel(await prepare(roots[0]!), localRuntime());
    const record = await recordOf(roots[0]!);
    const early = record.earlyStopping;
    assert.ok(early, 'early stopping recorded');
    assert.equal(early.monitor, 'ground-truth');
    const scores = record.perEpoch.map((e) => e.validationScore!);
    assert.equal(scores.length, early.epochsTrained);
    assert.equal(uninterrupted.epochs, early.epochsTrained);
    assert.equal(early.keptEpoch, scores.indexOf(Math.max(...scores)), 'the first best epoch is kept');
    assert.ok(early.stopped && early.keptEpoch >= 1 && early.epochsTrained < EPOCHS, `stopped after a later best epoch: ${JSON.stringify(early)}`);
    const lineage = await readLineage(openStore(roots[0]!), 'early');
    assert.ok(lineage.some((r) => r.stage === 'train-probe-validation-features' && r.kind === 'features'), "the validation split's features are a stage of their own");

    // Stopped in the third epoch: the checkpoint must carry the best weights so far beside the current ones.
    const input = await prepare(roots[1]!);
    await assert.rejects(trainModel(input, stoppingAfter(20)), StageStoppedError);
    const resumed = await trainModel(input, secondAttempt());
    assert.ok(resumed.resumedFromStep > 0, `resumed from step ${resumed.resumedFromStep}`);
    assert.equal(resumed.model.sha256, uninterrupted.model.sha256, 'the resumed student ends with the uninterrupted weights');
    assert.deepEqual((await recordOf(roots[1]!)).earlyStopping, early);
  } finally {
    for (const root of roots) await rm(root, { recursive: true, force: true });
  }
});

test('early stopping without validation shards is refused, naming the stage', async () => {
  await initBackend();
  const root = await mkdtemp(join(tmpdir(), 'w2s-early-none-'));
  try {
    const { validation: _validation, ...input } = await prepare(root);
    await assert.rejects(trainModel(input, localRuntime()), (error: unknown) => isBadInputError(error) && /train-probe: student probe: early stopping watches the validation split/.test(error.message));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
