/**
 * Probe students on stored features, on real Fashion-MNIST: the `features`
 * stage runs the frozen backbone once over the transfer split into feature
 * shards, the student's head trains on them, and the saved student (the
 * backbone with the trained head) gives on images the logits the head gives
 * on the stored features. A second student on the same backbone and data
 * reads the cached shards instead of recomputing them. Without
 * augmentation the head learns the classifier that a student running its
 * frozen backbone on every batch of images learns, and a stopped probe
 * student resumes bit-identically.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../ml/backend.js';
import { buildModel, loadModel, serializeModel } from '../../ml/models/index.js';
import { readLineage } from '../../lineage/index.js';
import { studentFromBackbone } from '../../ml/pretrain/index.js';
import { trainWithConfig } from '../../ml/train/index.js';
import { studentTrainConfig } from '../../schemas/plan.js';
import type { TrainInput } from '../../schemas/stages.js';
import { createStageDeps, FEATURE_SHARD_ROLE, ingest, localRuntime, StageStoppedError, trainModel } from '../../stages/index.js';
import { openShardSource } from '../../stages/data.js';
import { putObject } from '../../stages/stores.js';
import { decodeFeatureShard } from '../../storage/arrow/feature-shard.js';
import { openStore } from '../../storage/open.js';
import { tinyConfig } from '../harness/pipeline.js';
import { secondAttempt, stoppingAfter } from '../harness/stage-stops.js';

/** Width of the backbone's output layer: differs from the 10 classes, so the student gets a new classifier. */
const REPRESENTATION = 16;

test('a probe student trains its head on feature shards computed once; the assembled student classifies images as the head classifies their features', async () => {
  await initBackend();
  const root = await mkdtemp(join(tmpdir(), 'w2s-features-'));
  try {
    const config = tinyConfig(root);
    const data = await ingest({ runId: 'feat', storage: root, stage: 'ingest', dataset: config.dataset, seed: config.seed }, localRuntime());
    const store = openStore(root);
    const transfer = data.splits.transfer ?? [];
    // A backbone as `w2s pretrain` stores one: a zoo model (with batch norm) whose last layer outputs the representation.
    const encoder = buildModel('cnn', { inputShape: data.shape, numClasses: REPRESENTATION, seed: 3 });
    const backboneBytes = serializeModel(encoder);
    const backbone = await putObject(store, 'backbones/cnn.bin', backboneBytes, 'application/octet-stream');
    encoder.dispose();
    const student = (name: string, seed: number): TrainInput => ({
      runId: 'feat',
      storage: root,
      stage: `train-${name}`,
      role: 'student',
      name,
      train: { ...studentTrainConfig(config, { method: 'ceiling' }), model: 'cnn', epochs: 2, seed },
      manifest: data.manifest,
      shards: transfer,
      execution: config.execution,
      backbone: { model: backbone, mode: 'probe' },
    });

    const first = await trainModel(student('first', 1), localRuntime());
    assert.equal(first.cached, false);
    assert.ok(Number.isFinite(first.finalLoss));
    let records = await readLineage(store, 'feat');
    const computed = records.find((r) => r.stage === 'train-first-features');
    assert.ok(computed, 'the features stage is in lineage');
    assert.deepEqual([computed.kind, computed.status, computed.cached], ['features', 'completed', false]);
    assert.deepEqual(computed.inputs.filter((i) => i.role === 'backbone').map((i) => i.sha256), [backbone.sha256], 'lineage names the backbone the features are of');
    const featureShards = computed.outputs.filter((o) => o.role === FEATURE_SHARD_ROLE);
    assert.equal(featureShards.length, transfer.length, 'one feature shard per transfer shard');

    // The saved student on images, against its classifier on the stored features of the same images.
    const model = loadModel(await store.get(first.model.key));
    const stored = decodeFeatureShard(await store.get(featureShards[0]!.key), featureShards[0]!.key, { backboneSha256: backbone.sha256, rows: transfer[0]!.rows });
    const d = stored.metadata.featureDim;
    assert.equal(d, 128, 'the cnn classifier reads its 128-wide hidden layer');
    const images = await openShardSource(createStageDeps(), store, { manifest: data.manifest, shards: [transfer[0]!] });
    try {
      for await (const batch of images.batches({ epoch: 0, batchSize: 32, seed: 0, stream: 'check', shuffle: false, dropLast: false })) {
        assert.deepEqual([...batch.index], [...stored.index.subarray(0, 32)], 'feature rows follow the image shard');
        const weight = model.params.get('fc2/weight')!.variable;
        const bias = model.params.get('fc2/bias')!.variable;
        const [fromImages, fromFeatures] = tf.tidy(() => [
          model.apply(batch.x, { training: false }),
          tf.add(tf.matMul(tf.tensor2d(stored.features.subarray(0, 32 * d), [32, d]), weight as tf.Tensor2D), bias),
        ]);
        const gap = tf.max(tf.abs(tf.sub(fromImages!, fromFeatures!))).dataSync()[0]!;
        assert.ok(gap < 1e-4, `logits from images and from stored features differ by ${gap}`);
        tf.dispose([fromImages!, fromFeatures!, batch.x, batch.labels!]);
        break;
      }
    } finally {
      model.dispose();
    }

    // The same student trained the old way, its frozen backbone run on every batch of images: the same classifier.
    const onImages = await trainWithConfig(student('first', 1).train, {
      source: await openShardSource(createStageDeps(), store, { manifest: data.manifest, shards: transfer }),
      stream: 'student',
      createModel: (spec) => studentFromBackbone('cnn', spec, backboneBytes, 'probe', 'backbone'),
    });
    const saved = loadModel(await store.get(first.model.key));
    try {
      for (const name of ['fc2/weight', 'fc2/bias']) {
        const gap = tf.max(tf.abs(tf.sub(onImages.model.params.get(name)!.variable, saved.params.get(name)!.variable))).dataSync()[0]!;
        assert.ok(gap < 1e-4, `${name} trained on features differs from ${name} trained on images by ${gap}`);
      }
    } finally {
      saved.dispose();
      onImages.model.dispose();
    }

    // Another student (another seed) on the same backbone and data: the features are a cache hit, the same shards.
    const second = await trainModel(student('second', 2), localRuntime());
    assert.equal(second.cached, false, 'the student itself trains');
    assert.notEqual(second.model.sha256, first.model.sha256);
    records = await readLineage(store, 'feat');
    const reused = records.find((r) => r.stage === 'train-second-features');
    assert.deepEqual([reused?.status, reused?.cached], ['completed', true], 'the second student computes no features');
    assert.deepEqual(reused?.outputs.map((o) => o.sha256), featureShards.map((o) => o.sha256));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a probe student stopped midway resumes from its checkpoint and ends with the weights of one that never stopped', async () => {
  await initBackend();
  const roots = [await mkdtemp(join(tmpdir(), 'w2s-features-ref-')), await mkdtemp(join(tmpdir(), 'w2s-features-stop-'))];
  try {
    const prepare = async (root: string): Promise<TrainInput> => {
      const config = tinyConfig(root, { execution: { checkpointEverySteps: 2, checkpointEverySeconds: 3600 } });
      const data = await ingest({ runId: 'resume', storage: root, stage: 'ingest', dataset: config.dataset, seed: config.seed }, localRuntime());
      const encoder = buildModel('cnn', { inputShape: data.shape, numClasses: REPRESENTATION, seed: 3 });
      const backbone = await putObject(openStore(root), 'backbones/cnn.bin', serializeModel(encoder), 'application/octet-stream');
      encoder.dispose();
      return {
        runId: 'resume', storage: root, stage: 'train-probe', role: 'student', name: 'probe',
        train: { ...studentTrainConfig(config, { method: 'ceiling' }), model: 'cnn', epochs: 3, seed: 4 },
        manifest: data.manifest, shards: data.splits.transfer ?? [], execution: config.execution,
        backbone: { model: backbone, mode: 'probe' },
      };
    };
    const uninterrupted = await trainModel(await prepare(roots[0]!), localRuntime());

    const input = await prepare(roots[1]!);
    await assert.rejects(trainModel(input, stoppingAfter(4)), StageStoppedError);
    const resumed = await trainModel(input, secondAttempt());
    assert.ok(resumed.resumedFromStep > 0 && resumed.resumedFromStep < resumed.steps, `resumed midway: from step ${resumed.resumedFromStep} of ${resumed.steps}`);
    assert.equal(resumed.model.sha256, uninterrupted.model.sha256, 'the resumed student ends with the uninterrupted weights');
  } finally {
    for (const root of roots) await rm(root, { recursive: true, force: true });
  }
});
