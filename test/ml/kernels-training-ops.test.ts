/**
 * Every op that training the model zoo touches, forward and backward, on
 * wasm against cpu: batch norm in training mode, ReLU, 2x2 max pooling,
 * global average pooling, dense layers with bias (fused and not), residual
 * adds, softmax and log-softmax, the augmentations (pad, slice, flip,
 * crop-and-resize) and the optimizers' updates. Relative error
 * (max |wasm - cpu| / max |cpu|) under 1e-4.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../ml/backend.js';
import { Rng } from '../../core/random.js';
import { buildModel } from '../../ml/models/registry.js';

function randomValues(seed: number, key: string, size: number): Float32Array {
  const rng = Rng.keyed(seed, key);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = rng.normal();
  return values;
}

function input(key: string, shape: number[]): tf.Tensor {
  return tf.tensor(randomValues(7, key, tf.util.sizeFromShape(shape)), shape);
}

function relativeError(got: Float32Array, want: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  return diff / Math.max(scale, 1e-30);
}

async function assertBackendsAgree(label: string, compute: () => tf.Tensor[], tolerance = 1e-4): Promise<void> {
  const results: Array<{ shapes: number[][]; values: Float32Array[] }> = [];
  for (const backend of ['cpu', 'wasm']) {
    await initBackend(backend);
    const outputs = tf.tidy(compute);
    const values = await Promise.all(outputs.map(async (t) => Float32Array.from((await t.data()) as Float32Array)));
    results.push({ shapes: outputs.map((t) => t.shape), values });
    tf.dispose(outputs);
  }
  const [cpu, wasm] = results as [(typeof results)[0], (typeof results)[0]];
  assert.deepEqual(wasm.shapes, cpu.shapes, `${label}: shapes`);
  cpu.values.forEach((want, i) => {
    assert.ok(want.every(Number.isFinite), `${label} output ${i}: cpu produced non-finite values`);
    const error = relativeError(wasm.values[i]!, want);
    assert.ok(error < tolerance, `${label} output ${i}: relative error ${error.toExponential(2)}`);
  });
}

/** Value and gradients of sum(f(inputs) * r) for a fixed random r: a non-trivial upstream gradient. */
function valueAndGrads(key: string, f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[]): tf.Tensor[] {
  const y = f(...inputs);
  const r = input(`${key}/upstream`, y.shape);
  const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), r)))(inputs);
  return [y, ...grads];
}

const cases: Array<[string, () => tf.Tensor[]]> = [
  ['relu', () => valueAndGrads('relu', (x) => tf.relu(x), [input('relu', [2, 5, 5, 8])])],
  ['max pool 2x2 (even and odd sizes, negative windows, ReLU ties) and 3x3 stride 2 same', () => [
    ...valueAndGrads('pool-even', (x) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid'), [input('pool-even', [2, 8, 8, 16])]),
    ...valueAndGrads('pool-odd', (x) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid'), [input('pool-odd', [1, 7, 9, 3])]),
    ...valueAndGrads('pool-relu', (x) => tf.maxPool(tf.relu(x) as tf.Tensor4D, 2, 2, 'valid'), [input('pool-relu', [2, 6, 6, 5])]),
    ...valueAndGrads('pool-3x3', (x) => tf.maxPool(x as tf.Tensor4D, 3, 2, 'same'), [input('pool-3x3', [1, 9, 8, 6])]),
  ]],
  ['global average pool', () => valueAndGrads('gap', (x) => tf.mean(x, [1, 2]), [input('gap', [3, 8, 8, 64])])],
  ['batch norm, training mode (batch statistics)', () => valueAndGrads('bn', (x, gamma, beta) => {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    return tf.batchNorm4d(x as tf.Tensor4D, mean as tf.Tensor1D, variance as tf.Tensor1D, beta as tf.Tensor1D, gamma as tf.Tensor1D, 1e-5);
  }, [input('bn', [4, 6, 6, 16]), input('bn-gamma', [16]), input('bn-beta', [16])])],
  ['batch norm, inference mode', () => valueAndGrads('bn-eval', (x, mean, gamma) =>
    tf.batchNorm4d(x as tf.Tensor4D, mean as tf.Tensor1D, tf.ones([8]) as tf.Tensor1D, tf.zeros([8]) as tf.Tensor1D, gamma as tf.Tensor1D, 1e-5),
  [input('bn-eval', [2, 4, 4, 8]), input('bn-eval-mean', [8]), input('bn-eval-gamma', [8])])],
  ['dense with bias and ReLU (fused)', () => valueAndGrads('dense-fused', (x, w, b) =>
    tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, bias: b, activation: 'relu' }),
  [input('fd-x', [16, 50]), input('fd-w', [50, 12]), input('fd-b', [12])])],
  ['dense with bias (unfused) and matMul transposes', () => [
    ...valueAndGrads('dense', (x, w, b) => tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b), [input('d-x', [9, 33]), input('d-w', [33, 10]), input('d-b', [10])]),
    ...valueAndGrads('matmul-t', (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, true, true), [input('mt-a', [7, 5]), input('mt-b', [6, 7])]),
  ]],
  ['conv with fused bias and ReLU', () => valueAndGrads('conv-fused', (x, w, b) =>
    tf.fused.conv2d({ x: x as tf.Tensor4D, filter: w as tf.Tensor4D, strides: 1, pad: 'same', bias: b, activation: 'relu' }),
  [input('cf-x', [2, 7, 7, 4]), input('cf-w', [3, 3, 4, 8]), input('cf-b', [8])])],
  ['residual add', () => valueAndGrads('add', (a, b) => tf.relu(tf.add(a, b)), [input('add-a', [2, 4, 4, 8]), input('add-b', [2, 4, 4, 8])])],
  ['softmax, log-softmax, softmax cross-entropy', () => [
    ...valueAndGrads('softmax', (x) => tf.softmax(x), [input('sm', [8, 10])]),
    ...valueAndGrads('log-softmax', (x) => tf.logSoftmax(x), [input('lsm', [8, 10])]),
    ...tf.grads((x) => tf.losses.softmaxCrossEntropy(tf.softmax(input('ce-labels', [8, 10])), x))([input('ce', [8, 10])]),
  ]],
  ['augmentation: pad, slice, flip, crop-and-resize', () => {
    const images = input('aug', [3, 8, 8, 3]) as tf.Tensor4D;
    const padded = tf.pad(images, [[0, 0], [2, 2], [2, 2], [0, 0]]);
    return [
      padded,
      tf.slice(padded, [0, 1, 3, 0], [3, 8, 8, 3]),
      tf.reverse(images, 2),
      tf.image.flipLeftRight(images),
      tf.image.cropAndResize(images, tf.tensor2d([[0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9], [0.25, 0, 0.75, 0.5]]), tf.tensor1d([0, 1, 2], 'int32'), [6, 6], 'bilinear'),
    ];
  }],
];

for (const [name, compute] of cases) {
  test(`${name} matches cpu`, async () => {
    await assertBackendsAgree(name, compute);
  });
}

test('optimizer updates (SGD, momentum, Nesterov, Adam, with weight decay as an added gradient) match cpu', async () => {
  const shapes = [[3, 3, 4, 8], [8], [20, 10]];
  const makeOptimizers = (): Array<[string, tf.Optimizer]> => [
    ['sgd', tf.train.sgd(0.1)],
    ['momentum', tf.train.momentum(0.1, 0.9)],
    ['nesterov', tf.train.momentum(0.1, 0.9, true)],
    ['adam', tf.train.adam(0.01)],
  ];
  for (const backend of ['cpu', 'wasm']) await initBackend(backend);
  const run = async (backend: string): Promise<Float32Array[]> => {
    await initBackend(backend);
    const out: Float32Array[] = [];
    for (const [name, optimizer] of makeOptimizers()) {
      const variables = shapes.map((shape, i) => tf.variable(input(`var-${i}`, shape)));
      for (let step = 0; step < 3; step++) {
        const grads: Record<string, tf.Tensor> = {};
        variables.forEach((v, i) => {
          grads[v.name] = tf.tidy(() => tf.add(input(`${name}-grad-${step}-${i}`, shapes[i]!), tf.mul(v, 5e-4)));
        });
        optimizer.applyGradients(grads);
        tf.dispose(Object.values(grads));
      }
      for (const v of variables) out.push(Float32Array.from(await v.data()));
      optimizer.dispose();
      tf.dispose(variables);
    }
    return out;
  };
  const want = await run('cpu');
  const got = await run('wasm');
  want.forEach((w, i) => {
    const error = relativeError(got[i]!, w);
    assert.ok(error < 1e-4, `variable ${i}: relative error ${error.toExponential(2)}`);
  });
});

test('whole-network gradients of cnn and resnet20 (training mode) match cpu', async () => {
  const nets: Array<[string, [number, number, number]]> = [
    ['cnn', [12, 12, 1]],
    ['resnet20', [8, 8, 3]],
  ];
  for (const [name, inputShape] of nets) {
    await assertBackendsAgree(`${name} gradients`, () => {
      const model = buildModel(name, { inputShape, numClasses: 10, seed: 21 });
      const variables = model.params.trainable().map((p) => p.variable);
      const x = input(`${name}/x`, [4, ...inputShape]) as tf.Tensor4D;
      const labels = tf.oneHot(tf.tensor1d([0, 3, 7, 9], 'int32'), 10);
      const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true })) as tf.Scalar, variables);
      const out = [value, ...variables.map((v) => grads[v.name]!)];
      model.dispose();
      return out;
    });
  }
});
