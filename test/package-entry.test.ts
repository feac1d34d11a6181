/**
 * What a user gets from `import ... from 'w2s'`: the package resolves to its
 * own `exports` entry (self-reference), so this checks the published surface,
 * not a source path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import * as w2s from 'w2s';

test('the package entry exports the five losses, each a differentiable scalar of the student logits', async () => {
  await w2s.initBackend();
  const student = tf.tensor2d([[2, -1, 0.5], [0.1, 0.3, -2]]);
  const teacher = tf.tensor2d([[1, 0, -1], [-0.5, 2, 0]]);
  const losses = {
    kd: (s: tf.Tensor2D) => w2s.kdLoss(s, teacher, { temperature: 2 }),
    hard: (s: tf.Tensor2D) => w2s.hardLoss(s, teacher),
    augconf: (s: tf.Tensor2D) => w2s.augConfLoss(s, teacher, { finalAlpha: 0.5, progress: 0.5 }),
    adaptconf: (s: tf.Tensor2D) => w2s.adaptConfLoss(s, teacher, { theta: 0.5 }),
    logconf: (s: tf.Tensor2D) => w2s.logConfLoss(s, teacher, { progress: 0.5 }),
  };
  for (const [name, loss] of Object.entries(losses)) {
    const { value, grad } = tf.valueAndGrad((s: tf.Tensor) => loss(s as tf.Tensor2D))(student);
    assert.equal(value.rank, 0, `${name} returns a scalar`);
    assert.ok(Number.isFinite(value.dataSync()[0]!), `${name} is finite`);
    assert.ok(tf.tidy(() => grad.abs().sum().dataSync()[0]!) > 0, `${name} passes gradient to the student logits`);
    tf.dispose([value, grad]);
  }
  tf.dispose([student, teacher]);
});

test('the package entry exposes the model zoo, training, the throughput measurement and storage', () => {
  assert.ok(w2s.MODEL_NAMES.includes('cnn') && w2s.MODEL_NAMES.includes('resnet20'));
  for (const fn of [w2s.buildModel, w2s.loadModel, w2s.serializeModel, w2s.train, w2s.predictLogits, w2s.openStore, w2s.ingestDataset]) {
    assert.equal(typeof fn, 'function');
  }
  assert.equal(w2s.models.buildModel, w2s.buildModel);
  assert.equal(w2s.training.train, w2s.train);
  assert.equal(typeof w2s.experiments.measureTrainThroughput, 'function');
  assert.equal(typeof w2s.data.ArraySource, 'function');
});
