/**
 * Early stopping on held-out data: a linear model learns 300 real
 * Fashion-MNIST images with half their labels replaced (the noise a weak
 * teacher brings), so its held-out accuracy peaks and then falls. Training
 * stops `patience` epochs after the best one and keeps that epoch's weights;
 * stopped midway and resumed from its checkpoint, it ends bit-identical.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { isBadInputError } from '../../core/errors.js';
import { Rng } from '../../core/random.js';
import { initBackend } from '../../ml/backend.js';
import { ArraySource } from '../../ml/data/array-source.js';
import { modelTensors } from '../../ml/models/serialize.js';
import { decodeCheckpoint } from '../../ml/train/checkpoint.js';
import { train, type TrainResult } from '../../ml/train/train.js';
import type { TrainConfigInput } from '../../schemas/training.js';
import { loadFashionMnist } from './helpers/fashion-mnist.js';

const TRAIN = 300;
const HELD_OUT = 300;
const PATIENCE = 2;
let source: ArraySource;
let evaluation: ArraySource;

const config = (epochs: number, earlyStopping = true): TrainConfigInput => ({
  model: 'linear',
  epochs,
  batchSize: 20,
  seed: 3,
  // A constant rate: the first k epochs of a longer training are exactly a k-epoch training.
  optimizer: { name: 'sgd', lr: 0.005, momentum: 0.9, weightDecay: 0 },
  schedule: { name: 'constant' },
  loss: { method: 'ceiling' },
  ...(earlyStopping ? { earlyStopping: { patience: PATIENCE, monitor: 'ground-truth' as const } } : {}),
});

before(async () => {
  await initBackend();
  const data = await loadFashionMnist();
  const pixels = 28 * 28;
  const rng = Rng.keyed(5, 'early-stopping-test', 'noise');
  const labels = Array.from(data.train.labels.subarray(0, TRAIN), (label) => (rng.nextFloat() < 0.5 ? rng.int(10) : label));
  source = new ArraySource({ images: data.train.images.subarray(0, TRAIN * pixels), labels, shape: data.shape, numClasses: 10, normalization: data.normalization });
  evaluation = new ArraySource({ images: data.test.images.subarray(0, HELD_OUT * pixels), labels: data.test.labels.subarray(0, HELD_OUT), shape: data.shape, numClasses: 10, normalization: data.normalization });
});

const weights = (result: TrainResult) => modelTensors(result.model).map((t) => Array.from(t.values));

test('early stopping stops patience epochs after the best held-out epoch and keeps its weights', async () => {
  const full = await train({ config: config(20, false), source, evaluation, stream: 'early' });
  const scores = full.history.map((m) => m.evalAccuracy!);
  full.model.dispose();
  // What the rule must pick, read from the training that never stops: the first epoch whose score no later one beats within `patience`.
  let best = 0;
  let stopAfter = scores.length;
  for (let epoch = 1; epoch < scores.length; epoch++) {
    if (scores[epoch]! > scores[best]!) best = epoch;
    else if (epoch - best >= PATIENCE) {
      stopAfter = epoch + 1;
      break;
    }
  }
  assert.ok(best >= 1 && stopAfter < scores.length, `held-out accuracy must stop improving within 20 epochs for this test to mean anything: ${scores.join(', ')}`);

  const stopped = await train({ config: config(20), source, evaluation, stream: 'early' });
  assert.deepEqual(stopped.earlyStopping && { kept: stopped.earlyStopping.keptEpoch, trained: stopped.earlyStopping.epochsTrained, stopped: stopped.earlyStopping.stopped }, { kept: best, trained: stopAfter, stopped: true });
  assert.equal(stopped.earlyStopping?.score, scores[best]);
  assert.match(stopped.earlyStopping?.reason ?? '', new RegExp(`stopped after epoch ${stopAfter}: ${PATIENCE} epochs without a better validation accuracy than epoch ${best + 1}'s`));
  assert.equal(stopped.history.length, stopAfter, 'no epoch trained after the stop');
  assert.equal(stopped.position.epoch, stopAfter);

  const toBest = await train({ config: config(best + 1, false), source, evaluation, stream: 'early' });
  assert.deepEqual(weights(stopped), weights(toBest), "the kept weights are the best epoch's, bit for bit");
  toBest.model.dispose();
  stopped.model.dispose();
});

test('stopped after the best epoch and resumed from its checkpoint, early stopping ends bit-identical', async () => {
  const reference = await train({ config: config(20), source, evaluation, stream: 'early-resume' });
  const kept = reference.earlyStopping!;
  assert.ok(kept.stopped && kept.keptEpoch >= 1, `a stop after a later best epoch: ${JSON.stringify(kept)}`);
  // Stop midway through the epoch after the best: the checkpoint must carry the best weights, not just the current ones.
  const stepsPerEpoch = TRAIN / 20;
  const stopAt = (kept.keptEpoch + 1) * stepsPerEpoch + 4;
  const controller = new AbortController();
  let checkpoint: Uint8Array | undefined;
  const interrupted = await train({
    config: config(20),
    source,
    evaluation,
    stream: 'early-resume',
    signal: controller.signal,
    onProgress: (p) => {
      if (p.step === stopAt) controller.abort();
    },
    onCheckpoint: (bytes) => {
      checkpoint = bytes;
    },
  });
  assert.equal(interrupted.completed, false);
  interrupted.model.dispose();
  assert.ok(checkpoint);
  assert.deepEqual(decodeCheckpoint(checkpoint).meta.early, { bestEpoch: kept.keptEpoch, bestScore: kept.score, stopped: false });

  let final: Uint8Array | undefined;
  const resumed = await train({ config: config(20), source, evaluation, stream: 'early-resume', resumeFrom: checkpoint, onCheckpoint: (bytes) => { final = bytes; } });
  assert.deepEqual(resumed.earlyStopping, kept);
  assert.deepEqual(weights(resumed), weights(reference), 'bit-identical weights after the resume');
  assert.deepEqual(resumed.history.map((m) => m.evalAccuracy), reference.history.map((m) => m.evalAccuracy), 'the same held-out scores, epoch by epoch');

  // A retry after the final checkpoint trains nothing more and keeps the same epoch.
  let steps = 0;
  const again = await train({ config: config(20), source, evaluation, stream: 'early-resume', resumeFrom: final!, onProgress: () => steps++ });
  assert.equal(steps, 0);
  assert.deepEqual(again.earlyStopping, kept);
  assert.deepEqual(weights(again), weights(reference));
  for (const r of [reference, resumed, again]) r.model.dispose();
});

test('early stopping without held-out data is refused before training', async () => {
  await assert.rejects(train({ config: config(3), source, stream: 'early-none' }), (error: unknown) => isBadInputError(error) && /earlyStopping watches held-out data/.test(error.message));
});
