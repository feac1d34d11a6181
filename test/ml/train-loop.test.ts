import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../ml/backend.js';
import { isBadInputError } from '../../core/errors.js';
import { train } from '../../ml/train/train.js';
import { decodeCheckpoint } from '../../ml/train/checkpoint.js';
import { loadModel } from '../../ml/models/serialize.js';
import type { EpochMetrics } from '../../ml/train/epoch-metrics.js';
import type { TrainConfigInput } from '../../schemas/training.js';
import { syntheticSource } from './helpers/synthetic.js';

const base: TrainConfigInput = {
  model: 'linear',
  epochs: 3,
  batchSize: 8,
  seed: 1,
  optimizer: { name: 'sgd', lr: 0.1 },
  loss: { method: 'ceiling' },
};

test('training learns a separable problem and reports per-epoch metrics', async () => {
  await initBackend();
  const source = syntheticSource({ size: 64, shape: [8, 8, 1], numClasses: 4, seed: 1, teacher: true });
  const evaluation = syntheticSource({ size: 40, shape: [8, 8, 1], numClasses: 4, seed: 2 });
  const steps: number[] = [];
  const result = await train({ config: base, source, evaluation, stream: 'learn', onProgress: (p) => steps.push(p.step) });
  assert.equal(result.completed, true);
  assert.deepEqual(steps, Array.from({ length: 24 }, (_, i) => i + 1));
  assert.equal(result.history.length, 3);
  const [first, , last] = result.history as [EpochMetrics, EpochMetrics, EpochMetrics];
  assert.ok(last.loss.total! < first.loss.total!, `loss fell: ${first.loss.total} -> ${last.loss.total}`);
  assert.ok(last.trainAccuracy! > 0.9, `train accuracy ${last.trainAccuracy}`);
  assert.ok(last.evalAccuracy! > 0.9, `held-out accuracy ${last.evalAccuracy}`);
  assert.ok(last.teacherAgreement! > 0.5 && last.teacherAgreement! < 1, `agreement with a teacher that is 80% right: ${last.teacherAgreement}`);
  assert.deepEqual(result.history.map((m) => m.step), [8, 16, 24]);
  result.model.dispose();
});

test('the live tensor count is the same after every epoch and nothing leaks', async () => {
  await initBackend();
  const before = tf.memory().numTensors;
  const counts: number[] = [];
  const result = await train({
    config: { ...base, model: 'cnn', epochs: 4, augment: { cropPadding: 1, flip: true }, optimizer: { name: 'adamw', lr: 0.01 } },
    source: syntheticSource({ size: 32, shape: [8, 8, 1], numClasses: 4, seed: 3, teacher: true }),
    evaluation: syntheticSource({ size: 10, shape: [8, 8, 1], numClasses: 4, seed: 4 }),
    stream: 'memory',
      onEpochEnd: () => {
      counts.push(tf.memory().numTensors);
    },
    checkpointEvery: { steps: 3 },
    onCheckpoint: () => undefined,
  });
  assert.equal(counts.length, 4);
  assert.ok(counts.every((n) => n === counts[0]), `tensors after each epoch: ${counts}`);
  const modelTensors = result.model.params.all().length;
  assert.equal(counts[0], before + modelTensors + 2 * result.model.params.trainable().length, 'model variables and AdamW slots only');
  result.model.dispose();
  assert.equal(tf.memory().numTensors, before);
});

test('checkpoints come every N steps and at the end', async () => {
  await initBackend();
  const at: Array<{ step: number; epoch: number }> = [];
  const result = await train({
    config: base,
    source: syntheticSource({ size: 32, shape: [8, 8, 1], numClasses: 4, seed: 5 }),
    stream: 'cadence',
      checkpointEvery: { steps: 5 },
    onCheckpoint: (bytes, position) => {
      at.push(position);
      assert.equal(decodeCheckpoint(bytes).meta.position.step, position.step);
    },
  });
  assert.deepEqual(at, [
    { step: 5, epoch: 1 },
    { step: 10, epoch: 2 },
    { step: 12, epoch: 3 },
  ]);
  result.model.dispose();
});

test('a time-based schedule checkpoints once the interval has passed', async () => {
  await initBackend();
  let count = 0;
  const result = await train({
    config: { ...base, epochs: 1 },
    source: syntheticSource({ size: 32, shape: [8, 8, 1], numClasses: 4, seed: 5 }),
    stream: 'cadence',
      checkpointEvery: { seconds: 0 },
    onCheckpoint: () => {
      count += 1;
    },
  });
  assert.equal(count, 4, 'after each of the first three steps, then the final one');
  result.model.dispose();
});

test('a time-based schedule with an interval longer than the run writes only the final checkpoint', async () => {
  await initBackend();
  const at: Array<{ step: number; epoch: number }> = [];
  const result = await train({
    config: base,
    source: syntheticSource({ size: 32, shape: [8, 8, 1], numClasses: 4, seed: 5 }),
    stream: 'cadence',
    checkpointEvery: { seconds: 3600 },
    onCheckpoint: (_bytes, position) => {
      at.push(position);
    },
  });
  assert.deepEqual(at, [{ step: 12, epoch: 3 }]);
  result.model.dispose();
});

test('aborting stops after the current step with a checkpoint at that step', async () => {
  await initBackend();
  const controller = new AbortController();
  const checkpoints: Uint8Array[] = [];
  const result = await train({
    config: base,
    source: syntheticSource({ size: 32, shape: [8, 8, 1], numClasses: 4, seed: 6 }),
    stream: 'abort',
      signal: controller.signal,
    onProgress: ({ step }) => {
      if (step === 6) controller.abort();
    },
    onCheckpoint: (bytes) => {
      checkpoints.push(bytes);
    },
  });
  assert.equal(result.completed, false);
  assert.deepEqual(result.position, { step: 6, epoch: 1, batchInEpoch: 2 });
  assert.equal(checkpoints.length, 1);
  const meta = decodeCheckpoint(checkpoints[0]!).meta;
  assert.deepEqual(meta.position, result.position);
  assert.equal(meta.history.length, 1, 'the finished first epoch is in the history');
  assert.equal(meta.tally.batches, 2, 'the unfinished epoch keeps its running totals');
  // A checkpoint doubles as saved weights for labeling and evaluation.
  const fromCheckpoint = loadModel(checkpoints[0]!, 'checkpoint');
  const x = tf.randomNormal([2, 8, 8, 1], 0, 1, 'float32', 4) as tf.Tensor4D;
  const [a, b] = [result.model.apply(x, { training: false }), fromCheckpoint.apply(x, { training: false })];
  assert.deepEqual(await b.data(), await a.data());
  tf.dispose([x, a, b]);
  fromCheckpoint.dispose();
  result.model.dispose();
});

test('resuming refuses a checkpoint from another config or stream', async () => {
  await initBackend();
  const source = syntheticSource({ size: 16, shape: [8, 8, 1], numClasses: 4, seed: 7 });
  let saved: Uint8Array | undefined;
  const first = await train({ config: { ...base, epochs: 1 }, source, stream: 'a', onCheckpoint: (b) => void (saved = b) });
  first.model.dispose();
  await assert.rejects(
    train({ config: { ...base, epochs: 1, seed: 2 }, source, stream: 'a', resumeFrom: saved! }),
    (e: unknown) => isBadInputError(e) && /different training config/.test((e as Error).message),
  );
  await assert.rejects(
    train({ config: { ...base, epochs: 1 }, source, stream: 'b', resumeFrom: saved! }),
    (e: unknown) => isBadInputError(e) && /stream "a"/.test((e as Error).message),
  );
  const done = await train({ config: { ...base, epochs: 1 }, source, stream: 'a', resumeFrom: saved! });
  assert.equal(done.completed, true, 'a finished checkpoint resumes to a finished run');
  done.model.dispose();
});

test('bad configs are the user\'s error', async () => {
  await initBackend();
  const source = syntheticSource({ size: 4, shape: [8, 8, 1], numClasses: 4, seed: 7 });
  await assert.rejects(train({ config: { ...base, epochs: 0 }, source, stream: 's' }), (e: unknown) => isBadInputError(e) && /epochs/.test((e as Error).message));
  await assert.rejects(train({ config: base, source, stream: 's' }), (e: unknown) => isBadInputError(e) && /batchSize 8 exceeds the 4/.test((e as Error).message));
  await assert.rejects(train({ config: { ...base, model: 'nope' }, source: syntheticSource({ size: 16, shape: [8, 8, 1], numClasses: 4, seed: 7 }), stream: 's' }), isBadInputError);
});

test('a loss that rejects its inputs fails the run with its error and leaks nothing', async () => {
  await initBackend();
  const before = tf.memory().numTensors;
  await assert.rejects(
    train({ config: { ...base, model: 'cnn', loss: { method: 'hard' } }, source: syntheticSource({ size: 16, shape: [8, 8, 1], numClasses: 4, seed: 7 }), stream: 's' }),
    (e: unknown) => isBadInputError(e) && /teacher/.test((e as Error).message),
  );
  await assert.rejects(
    train({ config: { ...base, model: 'cnn' }, source: syntheticSource({ size: 16, shape: [8, 8, 1], numClasses: 4, seed: 7 }).withoutLabels(), stream: 's' }),
    (e: unknown) => isBadInputError(e) && /ceiling learns from ground truth and the batches carry no labels/.test((e as Error).message),
  );
  assert.equal(tf.memory().numTensors, before);
});
