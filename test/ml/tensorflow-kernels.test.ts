/**
 * What w2s runs on the native backend in place of tfjs-node's composites:
 * training-mode batch norm (+ ReLU) as libtensorflow's FusedBatchNormV3 and
 * FusedBatchNormGradV3, and ReLU's gradient as ReluGrad. Each against plain
 * tfjs autodiff through tf.moments and tf.step on the same backend: values,
 * batch statistics, gradients; that they really run as the fused ops; and
 * that they leave no tensor behind. Runs in the native pass of
 * test/run-passes.sh, where tfjs-node is installed.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../ml/backend.js';
import { Rng } from '../../core/random.js';
import { batchNormTrain } from '../../ml/kernels/batch-norm-train.js';
import { relativeError as valuesRelativeError } from './helpers/backends-agree.js';

before(async () => {
  const backend = await initBackend('tensorflow');
  assert.equal(backend.name, 'tensorflow');
});

function input(key: string, shape: number[], offset = 0): tf.Tensor {
  const rng = Rng.keyed(9, key);
  return tf.tensor(Array.from({ length: tf.util.sizeFromShape(shape) }, () => offset + 2 * rng.normal()), shape);
}

function relativeError(got: tf.Tensor, want: tf.Tensor): number {
  assert.deepEqual(got.shape, want.shape);
  return valuesRelativeError(got.dataSync(), want.dataSync());
}

function reference(xs: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, relu: boolean) {
  const axes = xs.shape.map((_, i) => i).slice(0, -1);
  const { mean, variance } = tf.moments(xs, axes);
  const z = tf.add(tf.mul(tf.div(tf.sub(xs, mean), tf.sqrt(tf.add(variance, 1e-5))), gamma), beta);
  // ReLU through tf.step, the gradient tfjs ships, not the one w2s installs.
  const y = relu ? tf.mul(z, tf.step(z)) : z;
  return { y, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}

for (const [shape, relu] of [
  [[8, 6, 6, 5], true],
  [[8, 6, 6, 5], false],
  [[32, 7], true],
] as const) {
  test(`native batchNormTrain ${JSON.stringify(shape)} relu=${relu}: values, statistics and gradients match autodiff`, () => {
    const dims = [...shape];
    const channels = dims.at(-1)!;
    const x = input(`x${dims}`, dims, 0.5);
    const gamma = input(`g${dims}`, [channels]) as tf.Tensor1D;
    const beta = input(`b${dims}`, [channels]) as tf.Tensor1D;
    const r = input(`r${dims}`, dims);
    const fused = batchNormTrain(x, gamma, beta, 1e-5, relu);
    const plain = reference(x, gamma, beta, relu);
    assert.ok(relativeError(fused.y, plain.y) < 1e-5, 'y');
    assert.ok(relativeError(fused.mean, plain.mean) < 1e-5, 'batch mean');
    assert.ok(relativeError(fused.variance, plain.variance) < 1e-5, 'biased batch variance');
    const loss = (run: (xs: tf.Tensor, g: tf.Tensor1D, b: tf.Tensor1D) => { y: tf.Tensor }) => (xs: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(run(xs, g as tf.Tensor1D, b as tf.Tensor1D).y, r));
    const got = tf.grads(loss((xs, g, b) => batchNormTrain(xs, g, b, 1e-5, relu)))([x, gamma, beta]);
    const want = tf.grads(loss((xs, g, b) => reference(xs, g, b, relu)))([x, gamma, beta]);
    ['dx', 'dgamma', 'dbeta'].forEach((name, i) => {
      const error = relativeError(got[i]!, want[i]!);
      assert.ok(error < 1e-4, `${name}: relative error ${error}`);
    });
    tf.dispose([x, gamma, beta, r, fused.y, fused.mean, fused.variance, plain.y, plain.mean, plain.variance, ...got, ...want]);
  });
}

test('native batchNormTrain runs as FusedBatchNormV3 and its gradient, not as the composite', async () => {
  const x = input('xp', [4, 3, 3, 2]);
  const gamma = tf.ones([2]) as tf.Tensor1D;
  const beta = tf.zeros([2]) as tf.Tensor1D;
  const profile = await tf.profile(() => {
    const [dx] = tf.grads((xs: tf.Tensor) => tf.sum(batchNormTrain(xs, gamma, beta, 1e-5, true).y))([x]);
    dx!.dispose();
  });
  const kernels = profile.kernels.map((k) => k.name);
  // Ops w2s runs through tfjs-node's op interface bypass tfjs's kernel registry, so the profile does not list them;
  // what it can show is that the composite's kernels are gone.
  for (const composite of ['Step', 'Mean', 'SquaredDifference', 'Rsqrt']) assert.ok(!kernels.includes(composite), `${composite} ran: ${kernels.join(', ')}`);
  tf.dispose([x, gamma, beta]);
});

test('ReLU gradient on the native backend equals dy * step(x), with zero at and below 0, and runs without step()', async () => {
  const x = tf.tensor1d([-2, -0.5, 0, 1e-20, 0.5, 3, -1e-30]);
  const dy = tf.tensor1d([1, -2, 3, -4, 5, -6, 7]);
  let got: tf.Tensor | undefined;
  const profile = await tf.profile(() => {
    [got] = tf.grads((xs: tf.Tensor) => tf.sum(tf.mul(tf.relu(xs), dy)))([x]);
  });
  assert.deepEqual(Array.from(got!.dataSync(), (v) => v + 0), [0, 0, 0, -4, 5, -6, 0]);
  // tfjs's own gradient is dy * step(x); the one w2s installs is libtensorflow's ReluGrad.
  assert.ok(!profile.kernels.some((k) => k.name === 'Step'), `step() ran: ${profile.kernels.map((k) => k.name).join(', ')}`);
  tf.dispose([x, dy, got!]);
});

test('no tensor is left behind by a fused forward and backward pass', () => {
  const x = input('xl', [4, 5, 5, 3]);
  const gamma = tf.ones([3]) as tf.Tensor1D;
  const beta = tf.zeros([3]) as tf.Tensor1D;
  const live = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) {
    tf.tidy(() => {
      const { mean, variance } = batchNormTrain(x, gamma, beta, 1e-5, true);
      tf.dispose([mean, variance]);
      tf.grads((xs: tf.Tensor) => {
        // The batch statistics are the caller's to free (the layer folds them into its running statistics).
        const out = batchNormTrain(xs, gamma, beta, 1e-5, true);
        tf.dispose([out.mean, out.variance]);
        return tf.sum(tf.relu(out.y));
      })([x]);
    });
  }
  assert.equal(tf.memory().numTensors, live);
  tf.dispose([x, gamma, beta]);
});
