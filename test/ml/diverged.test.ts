/**
 * The training loop stops at the first step whose loss is not finite, and
 * never hands a checkpoint of non-finite weights to its caller.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../ml/backend.js';
import { isBadInputError } from '../../core/errors.js';
import { TrainingDivergedError } from '../../ml/train/index.js';
import { pretrainContrastive } from '../../ml/pretrain/contrastive.js';
import { train } from '../../ml/train/train.js';
import type { TrainConfigInput } from '../../schemas/training.js';
import { syntheticSource } from './helpers/synthetic.js';

const diverging: TrainConfigInput = { model: 'linear', epochs: 2, batchSize: 8, seed: 1, optimizer: { name: 'sgd', lr: 1e308 }, loss: { method: 'ceiling' } };

test('a non-finite loss ends the training at that step, naming the learning rate, without leaking tensors', async () => {
  await initBackend();
  const source = syntheticSource({ size: 64, shape: [8, 8, 1], numClasses: 4, seed: 1 });
  const before = tf.memory().numTensors;
  await assert.rejects(train({ config: diverging, source, stream: 'diverge' }), (error: unknown) => {
    assert.ok(error instanceof TrainingDivergedError && isBadInputError(error), String(error));
    assert.match(error.message, /^training: the loss \(total\) is (NaN|-?Infinity) at step \d+ of 16 \(epoch 1 of 2\): the training diverged; the learning rate \(optimizer\.lr 1e\+308/);
    return true;
  });
  assert.equal(tf.memory().numTensors, before, 'the model and optimizer were freed');
});

test('no checkpoint of non-finite weights reaches the caller', async () => {
  await initBackend();
  const source = syntheticSource({ size: 64, shape: [8, 8, 1], numClasses: 4, seed: 1 });
  const checkpoints: number[] = [];
  await assert.rejects(
    train({ config: diverging, source, stream: 'diverge', checkpointEvery: { steps: 1 }, onCheckpoint: (_bytes, at) => void checkpoints.push(at.step) }),
    (error: unknown) => error instanceof TrainingDivergedError && /weight \S+ holds a value that is not finite after step 1 of 16/.test(error.message),
  );
  assert.deepEqual(checkpoints, []);
});

test('contrastive pretraining stops at a non-finite loss too, and checkpoints no non-finite weights', async () => {
  await initBackend();
  const source = syntheticSource({ size: 64, shape: [8, 8, 1], numClasses: 4, seed: 1 });
  const checkpoints: number[] = [];
  await assert.rejects(
    pretrainContrastive({ encoder: 'cnn-small', representationDim: 16, epochs: 2, batchSize: 16, seed: 1, stream: 'diverge', optimizer: { lr: 1e308 }, source, checkpointEverySteps: 1, onCheckpoint: (_bytes, at) => void checkpoints.push(at.step) }),
    (error: unknown) => error instanceof TrainingDivergedError && /(the loss \(total\) is (NaN|-?Infinity) at|weight \S+ holds a value that is not finite after) step \d+ of 8 .*method simclr/.test(error.message),
  );
  assert.deepEqual(checkpoints, []);
});
