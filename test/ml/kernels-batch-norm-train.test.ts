/**
 * batchNormTrain: the fused training-mode batch norm (+ ReLU). Its wasm
 * kernels against the composite form on cpu, values, batch statistics and
 * gradients; the composite against plain tfjs autodiff through tf.moments;
 * the wasm path really running as the two fused kernels; and the model's
 * batch-norm layer taking it on wasm with the same results as its composite
 * path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../ml/backend.js';
import { Rng } from '../../core/random.js';
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD, batchNormTrain } from '../../ml/kernels/batch-norm-train.js';
import { setNativeWasmKernel } from '../../ml/kernels/register.js';
import { BatchNorm } from '../../ml/nn/layers.js';
import { resolveRunningStatistics, type RunningStatistic } from '../../ml/nn/running-stats.js';
import { ParamRegistry, ParamScope } from '../../ml/nn/params.js';
import { relativeError } from './helpers/backends-agree.js';

function input(key: string, shape: number[], offset = 0): tf.Tensor {
  const rng = Rng.keyed(4, key);
  return tf.tensor(Array.from({ length: tf.util.sizeFromShape(shape) }, () => offset + 2 * rng.normal()), shape);
}

/** y, mean, variance and the gradients of sum(y * r) with respect to x, gamma, beta. */
function outputs(shape: number[], relu: boolean, useFused: boolean): tf.Tensor[] {
  const channels = shape.at(-1)!;
  const x = input(`x${shape}`, shape, 0.5);
  const gamma = input(`g${shape}`, [channels]) as tf.Tensor1D;
  const beta = input(`b${shape}`, [channels]) as tf.Tensor1D;
  const r = input(`r${shape}`, shape);
  const reference = (xs: tf.Tensor, g: tf.Tensor1D, b: tf.Tensor1D) => {
    const axes = shape.map((_, i) => i).slice(0, -1);
    const { mean, variance } = tf.moments(xs, axes);
    const z = tf.add(tf.mul(tf.div(tf.sub(xs, mean), tf.sqrt(tf.add(variance, 1e-5))), g), b);
    return { y: relu ? tf.relu(z) : z, mean, variance };
  };
  const run = useFused ? (xs: tf.Tensor, g: tf.Tensor1D, b: tf.Tensor1D) => batchNormTrain(xs, g, b, 1e-5, relu) : reference;
  const { y, mean, variance } = run(x, gamma, beta);
  const grads = tf.grads((xs: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(run(xs, g as tf.Tensor1D, b as tf.Tensor1D).y, r)))([x, gamma, beta]);
  return [y, mean, variance, ...grads];
}

const SHAPES = [
  [8, 6, 6, 16],
  [3, 5, 7, 5],
  [64, 13],
  [2, 4, 4, 1],
];

test('the fused op on wasm matches the composite on cpu and plain autodiff, with and without ReLU', async () => {
  for (const shape of SHAPES) {
    for (const relu of [false, true]) {
      const results: Float32Array[][] = [];
      for (const [backend, useFused] of [['cpu', false], ['cpu', true], ['wasm', true]] as const) {
        await initBackend(backend);
        const out = tf.tidy(() => outputs(shape, relu, useFused));
        results.push(await Promise.all(out.map(async (t) => Float32Array.from(await t.data()))));
        tf.dispose(out);
      }
      const [autodiff, composite, fused] = results as [Float32Array[], Float32Array[], Float32Array[]];
      const names = ['y', 'mean', 'variance', 'dx', 'dgamma', 'dbeta'];
      autodiff.forEach((want, i) => {
        assert.ok(relativeError(composite[i]!, want) < 1e-4, `composite ${names[i]} ${shape} relu=${relu}: ${relativeError(composite[i]!, want)}`);
        assert.ok(relativeError(fused[i]!, want) < 1e-4, `wasm fused ${names[i]} ${shape} relu=${relu}: ${relativeError(fused[i]!, want)}`);
      });
    }
  }
});

test('on wasm the op and its gradient run as the two fused kernels', async () => {
  await initBackend('wasm');
  const x = input('profile', [4, 5, 5, 8]);
  const gamma = tf.ones([8]) as tf.Tensor1D;
  const beta = tf.zeros([8]) as tf.Tensor1D;
  const profile = await tf.profile(() => {
    const grads = tf.grads((xs: tf.Tensor) => tf.sum(batchNormTrain(xs, gamma, beta, 1e-5, true).y))([x]);
    tf.dispose(grads);
  });
  const names = profile.kernels.map((k) => k.name);
  assert.ok(names.includes(BATCH_NORM_TRAIN) && names.includes(BATCH_NORM_TRAIN_GRAD), names.join(', '));
  assert.ok(!names.includes('Mean') && !names.includes('FusedBatchNorm'), `no composite kernels: ${names.join(', ')}`);
  const before = tf.memory().numTensors;
  const { y, mean, variance } = batchNormTrain(x, gamma, beta, 1e-5);
  tf.dispose([y, mean, variance]);
  assert.equal(tf.memory().numTensors, before, 'no tensors left behind');
  tf.dispose([x, gamma, beta]);
});

test('gamma and beta must have one value per channel', async () => {
  await initBackend('wasm');
  const x = tf.zeros([2, 3, 3, 4]);
  assert.throws(() => batchNormTrain(x, tf.ones([3]) as tf.Tensor1D, tf.zeros([4]) as tf.Tensor1D, 1e-5), /gamma \(3\) and beta \(4\) must have one value per channel \(4\)/);
  x.dispose();
});

/** The layer's output, its gradients and its running-statistics updates, and the kernels it ran. */
async function layerOutputs(shape: number[], relu: boolean): Promise<{ values: Float32Array[]; kernels: string[] }> {
  const channels = shape.at(-1)!;
  const registry = new ParamRegistry(0);
  const bn = new BatchNorm(new ParamScope(registry), channels);
  const x = tf.tidy(() => {
    bn.gamma.assign(input(`lg${shape}`, [channels]));
    bn.beta.assign(input(`lb${shape}`, [channels]));
    return tf.variable(input(`lx${shape}`, shape, 0.5)) as tf.Variable<tf.Rank.R4>;
  });
  const r = input(`lr${shape}`, shape);
  const statistics: RunningStatistic[] = [];
  let result: { value: tf.Scalar; grads: tf.NamedTensorMap } | undefined;
  let y: tf.Tensor | undefined;
  const profile = await tf.profile(() => {
    result = tf.variableGrads(() => {
      const out = bn.apply(x, { training: true, runningStatistics: statistics }, relu);
      y = tf.keep(out);
      return tf.sum(tf.mul(out, r));
    }, [x, bn.gamma, bn.beta]);
  });
  const tensors = [y!, result!.grads[x.name]!, result!.grads[bn.gamma.name]!, result!.grads[bn.beta.name]!, ...resolveRunningStatistics(statistics).map((u) => u.value)];
  const values = await Promise.all(tensors.map(async (t) => Float32Array.from(await t.data())));
  tf.dispose([x, r, result!.value, ...tensors]);
  registry.dispose();
  return { values, kernels: profile.kernels.map((k) => k.name) };
}

test('on wasm the batch-norm layer runs as the fused op, with the values, gradients and running statistics of its composite path', async () => {
  await initBackend('wasm');
  const names = ['y', 'dx', 'dgamma', 'dbeta', 'running mean', 'running var'];
  for (const shape of [
    [8, 6, 6, 16],
    [3, 5, 7, 5],
  ]) {
    for (const relu of [false, true]) {
      const before = tf.memory().numTensors;
      const fused = await layerOutputs(shape, relu);
      setNativeWasmKernel(BATCH_NORM_TRAIN, false);
      let unfused;
      try {
        unfused = await layerOutputs(shape, relu);
      } finally {
        setNativeWasmKernel(BATCH_NORM_TRAIN, true);
      }
      assert.equal(tf.memory().numTensors, before, 'no tensors left behind');
      assert.ok(fused.kernels.includes(BATCH_NORM_TRAIN) && fused.kernels.includes(BATCH_NORM_TRAIN_GRAD), fused.kernels.join(', '));
      assert.ok(!fused.kernels.includes('Relu') && !fused.kernels.includes('FusedBatchNorm'), `fused path: ${fused.kernels.join(', ')}`);
      assert.ok(!unfused.kernels.includes(BATCH_NORM_TRAIN), `composite path: ${unfused.kernels.join(', ')}`);
      assert.equal(fused.values.length, names.length);
      unfused.values.forEach((want, i) => {
        const error = relativeError(fused.values[i]!, want);
        assert.ok(error < 1e-4, `layer ${names[i]} ${shape} relu=${relu}: ${error}`);
      });
    }
  }
});
