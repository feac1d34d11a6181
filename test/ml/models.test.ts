import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { activeBackend, initBackend } from '../../ml/backend.js';
import { withBackendUnderTest } from './helpers/backends.js';
import { isBadInputError } from '../../core/errors.js';
import { buildModel, MODEL_NAMES } from '../../ml/models/registry.js';
import { BatchNorm } from '../../ml/nn/layers.js';
import { resolveRunningStatistics, type RunningStatistic } from '../../ml/nn/running-stats.js';
import { ParamRegistry, ParamScope } from '../../ml/nn/params.js';
import type { ImageShape } from '../../ml/data/batches.js';

const CIFAR: ImageShape = [32, 32, 3];
const FASHION: ImageShape = [28, 28, 1];

// Trainable parameter counts of the reference PyTorch definitions (mdistiller's
// CIFAR ResNets and VGGs with BN, 10 classes, 32x32x3); the ResNets are the
// ~0.27M / 0.46M / 0.85M of He et al.
const REFERENCE_COUNTS: Record<string, number> = {
  resnet20: 272_474,
  resnet32: 466_906,
  resnet56: 855_770,
  vgg8: 3_918_858,
  vgg13: 9_416_010,
};

test('parameter counts match the reference architectures', async () => {
  await initBackend();
  for (const [name, expected] of Object.entries(REFERENCE_COUNTS)) {
    const model = buildModel(name, { inputShape: CIFAR, numClasses: 10, seed: 0 });
    assert.equal(model.params.countTrainable(), expected, name);
    model.dispose();
  }
  // cnn: four 3x3 convs without bias + BN (32, 32, 64, 64), dense 7*7*64 -> 128 -> 10.
  const cnn = buildModel('cnn', { inputShape: FASHION, numClasses: 10, seed: 0 });
  const convs = 9 * (1 * 32 + 32 * 32 + 32 * 64 + 64 * 64) + 2 * (32 + 32 + 64 + 64);
  assert.equal(cnn.params.countTrainable(), convs + (7 * 7 * 64 * 128 + 128) + (128 * 10 + 10));
  cnn.dispose();
  const linear = buildModel('linear', { inputShape: FASHION, numClasses: 10, seed: 0 });
  assert.equal(linear.params.countTrainable(), 784 * 10 + 10);
  linear.dispose();
});

test('every model maps both image shapes to finite logits in both modes', async () => {
  await initBackend();
  for (const name of MODEL_NAMES) {
    for (const inputShape of [FASHION, CIFAR]) {
      const before = tf.memory().numTensors;
      const model = buildModel(name, { inputShape, numClasses: 7, seed: 3 });
      for (const training of [true, false]) {
        const logits = tf.tidy(() => model.apply(tf.randomNormal([3, ...inputShape], 0, 1, 'float32', 1), { training }));
        assert.deepEqual(logits.shape, [3, 7], `${name} ${inputShape}`);
        assert.ok((await logits.data()).every(Number.isFinite), `${name} ${inputShape} training=${training}`);
        logits.dispose();
      }
      model.dispose();
      assert.equal(tf.memory().numTensors, before, `${name} leaks tensors`);
    }
  }
});

test('initial weights depend on the seed only, not on the backend', async () => {
  const original = (await initBackend()).name;
  const weightsOn = async (backend: string, seed: number) => {
    await initBackend(backend);
    const model = buildModel('resnet20', { inputShape: CIFAR, numClasses: 10, seed });
    const out = new Map<string, Float32Array>();
    for (const p of model.params.all()) out.set(p.name, (await p.variable.data()) as Float32Array);
    model.dispose();
    return out;
  };
  const wasm = await weightsOn('wasm', 11);
  const other = await weightsOn('wasm', 12);
  for (const backend of withBackendUnderTest(['cpu']).filter((b) => b !== 'wasm')) {
    const weights = await weightsOn(backend, 11);
    assert.deepEqual([...wasm.keys()], [...weights.keys()]);
    for (const [name, values] of wasm) assert.deepEqual(weights.get(name), values, `${name} on ${backend}`);
  }
  const filter = 'stage2/block1/conv1/conv/filter';
  assert.ok(wasm.has(filter));
  assert.notDeepEqual(other.get(filter), wasm.get(filter));
  await initBackend(original);
});

test('the same seed gives the same logits, a different seed different ones', async () => {
  await initBackend();
  const x = tf.randomNormal([2, ...FASHION], 0, 1, 'float32', 5) as tf.Tensor4D;
  const logitsFor = async (seed: number) => {
    const model = buildModel('cnn', { inputShape: FASHION, numClasses: 10, seed });
    const y = model.apply(x, { training: false });
    const values = await y.data();
    y.dispose();
    model.dispose();
    return values;
  };
  assert.deepEqual(await logitsFor(1), await logitsFor(1));
  assert.notDeepEqual(await logitsFor(1), await logitsFor(2));
  x.dispose();
});

test('batch norm: batch statistics in training, running statistics (PyTorch momentum) otherwise', async () => {
  await initBackend();
  const registry = new ParamRegistry(0);
  const bn = new BatchNorm(new ParamScope(registry), 2);
  const x = tf.tensor4d([1, 10, 3, 20, 5, 30, 7, 40], [2, 2, 1, 2]);
  const statistics: RunningStatistic[] = [];
  const y = bn.apply(x, { training: true, runningStatistics: statistics });
  const updates = resolveRunningStatistics(statistics);
  const { mean, variance } = tf.moments(y, [0, 1, 2]);
  for (const m of await mean.data()) assert.ok(Math.abs(m) < 1e-5);
  for (const v of await variance.data()) assert.ok(Math.abs(v - 1) < 1e-3);
  assert.equal(updates.length, 2);
  // channel 0 holds 1,3,5,7: mean 4, unbiased variance 20/3; channel 1 holds 10..40: mean 25, unbiased 500/3.
  const [newMean, newVar] = updates.map((u) => u.value.dataSync());
  assert.ok(Math.abs(newMean![0]! - 0.4) < 1e-6 && Math.abs(newMean![1]! - 2.5) < 1e-5);
  assert.ok(Math.abs(newVar![0]! - (0.9 + 0.1 * (20 / 3))) < 1e-5 && Math.abs(newVar![1]! - (0.9 + 0.1 * (500 / 3))) < 1e-4);
  // Without applying the updates, inference still sees the initial running statistics (mean 0, var 1).
  const inference = bn.apply(x, { training: false });
  const expected = x.div(Math.sqrt(1 + 1e-5));
  assert.ok(tf.max(tf.abs(tf.sub(inference, expected))).dataSync()[0]! < 1e-5);
  for (const u of updates) u.variable.assign(u.value);
  assert.deepEqual(await bn.runningMean.data(), newMean);
  tf.dispose([x, y, mean, variance, inference, expected, ...updates.map((u) => u.value)]);
  registry.dispose();
});

test('running statistics blended for several layers at once are, bit for bit, each blended alone', async () => {
  await initBackend();
  const variables = [tf.variable(tf.tensor1d([0.5, -1.25, 3])), tf.variable(tf.tensor1d([2, 0.1])), tf.variable(tf.tensor2d([1, 2, 3, 4], [2, 2]))];
  const observed = [tf.tensor1d([0.3, 0.7, -2]), tf.tensor1d([1.1, 5]), tf.tensor2d([0.2, -0.4, 9, 1e-3], [2, 2])];
  const blends = [
    { decay: 0.9, rate: 0.1 },
    { decay: 0.9, rate: (0.1 * 49) / 48 },
    { decay: 0.7, rate: 0.3 },
  ];
  // The per-layer form it replaces: running * decay + observed * rate, one layer at a time.
  const alone = variables.map((v, i) => tf.tidy(() => v.mul(blends[i]!.decay).add(observed[i]!.mul(blends[i]!.rate))));
  const statistics: RunningStatistic[] = variables.map((variable, i) => ({ variable, observed: observed[i]!, ...blends[i]! }));
  // Concatenated on every backend, where the pipeline does so only on the native one: this is the form under test.
  const updates = resolveRunningStatistics(statistics, true);
  assert.ok(observed.every((t) => t.isDisposed), 'the batch statistics are freed');
  for (const [i, u] of updates.entries()) {
    assert.equal(u.variable, variables[i]);
    assert.deepEqual(u.value.shape, variables[i]!.shape);
    assert.deepEqual(await u.value.data(), await alone[i]!.data(), `statistic ${i}`);
  }
  tf.dispose([...variables, ...alone, ...updates.map((u) => u.value)]);
});

test('batch norm closed-form gradient equals autodiff through the moments, on wasm, cpu and the backend under test', async () => {
  const original = (await initBackend()).name;
  for (const backend of withBackendUnderTest(['wasm', 'cpu'])) await batchNormGradientMatches(backend);
  await initBackend(original);
  assert.equal(activeBackend()?.name, original);
});

async function batchNormGradientMatches(backend: string): Promise<void> {
  await initBackend(backend);
  const registry = new ParamRegistry(0);
  const bn = new BatchNorm(new ParamScope(registry), 3);
  bn.gamma.assign(tf.tensor1d([0.5, -1.5, 2]));
  bn.beta.assign(tf.tensor1d([0.1, 0.2, -0.3]));
  const x = tf.variable(tf.randomNormal([4, 3, 5, 3], 1, 2, 'float32', 9)) as tf.Variable<tf.Rank.R4>;
  const weights = tf.randomNormal([4, 3, 5, 3], 0, 1, 'float32', 10);
  const objective = (y: tf.Tensor) => tf.sum(tf.mul(tf.square(y), weights)) as tf.Scalar;
  const reference = () => {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    return tf.batchNorm4d(x, mean as tf.Tensor1D, variance as tf.Tensor1D, bn.beta as tf.Tensor1D, bn.gamma as tf.Tensor1D, 1e-5);
  };
  const variables = [x, bn.gamma, bn.beta];
  const want = tf.variableGrads(() => objective(reference()), variables);
  const got = tf.variableGrads(() => objective(bn.apply(x, { training: true })), variables);
  for (const v of variables) {
    const [a, b] = [await got.grads[v.name]!.data(), await want.grads[v.name]!.data()];
    assert.equal(a.length, b.length);
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= 1e-3 * (1 + Math.abs(b[i]!)), `${backend} ${v.name}[${i}]: ${a[i]} vs ${b[i]}`);
  }
  assert.ok(Math.abs(got.value.dataSync()[0]! - want.value.dataSync()[0]!) < 1e-3);
  tf.dispose([x, weights, got.value, want.value, ...Object.values(got.grads), ...Object.values(want.grads)]);
  registry.dispose();
}

test('unknown models and bad shapes are the user\'s error, named', () => {
  assert.throws(() => buildModel('resnet21', { inputShape: CIFAR, numClasses: 10, seed: 0 }), (e: unknown) => isBadInputError(e) && /resnet21/.test((e as Error).message) && /resnet20/.test((e as Error).message));
  assert.throws(() => buildModel('cnn', { inputShape: CIFAR, numClasses: 0, seed: 0 }), (e: unknown) => isBadInputError(e) && /numClasses/.test((e as Error).message));
});
