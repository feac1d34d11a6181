/**
 * vit-tiny: its size against a hand count, every op it trains with on wasm
 * against cpu (forward and backward, whole network included), and a few
 * steps on real Fashion-MNIST images in which its loss falls.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../ml/backend.js';
import { ArraySource } from '../../ml/data/array-source.js';
import { buildModel } from '../../ml/models/registry.js';
import { ParamRegistry, ParamScope } from '../../ml/nn/params.js';
import { gelu, LayerNorm, MultiHeadSelfAttention } from '../../ml/nn/transformer.js';
import { train } from '../../ml/train/train.js';
import type { ImageShape } from '../../ml/data/batches.js';
import { assertBackendsAgree, seededInput, valueAndGrads } from './helpers/backends-agree.js';
import { loadFashionMnist } from './helpers/fashion-mnist.js';

/** patch 4, width 64, 4 blocks of 4 heads, MLP 128, class token, 10 classes. */
function handCount([h, w, c]: ImageShape): number {
  const dim = 64;
  const hidden = 128;
  const tokens = Math.floor(h / 4) * Math.floor(w / 4) + 1;
  const patchEmbed = 4 * 4 * c * dim + dim;
  const tokensAndPositions = dim + tokens * dim;
  const layerNorm = 2 * dim;
  const attention = dim * 3 * dim + 3 * dim + dim * dim + dim;
  const mlp = dim * hidden + hidden + hidden * dim + dim;
  const block = layerNorm + attention + layerNorm + mlp;
  const head = dim * 10 + 10;
  return patchEmbed + tokensAndPositions + 4 * block + layerNorm + head;
}

test('vit-tiny has the parameters of its definition on both image shapes', async () => {
  await initBackend();
  for (const [shape, expected] of [[[28, 28, 1], 139_018], [[32, 32, 3], 142_026]] as Array<[ImageShape, number]>) {
    assert.equal(handCount(shape), expected, `hand count for ${shape}`);
    const model = buildModel('vit-tiny', { inputShape: shape, numClasses: 10, seed: 0 });
    assert.equal(model.params.countTrainable(), expected, `${shape}`);
    assert.equal(model.params.state().length, 0, 'no running statistics');
    model.dispose();
  }
});

test('vit-tiny gives the same logits in training and evaluation mode (no dropout) and depends on every token', async () => {
  await initBackend();
  const model = buildModel('vit-tiny', { inputShape: [28, 28, 1], numClasses: 10, seed: 4 });
  const x = seededInput('vit-modes', [2, 28, 28, 1]) as tf.Tensor4D;
  const train = model.apply(x, { training: true });
  const evaluate = model.apply(x, { training: false });
  assert.deepEqual(await train.data(), await evaluate.data());
  // Changing one pixel in the last patch changes the class token's logits: attention reaches every patch.
  const moved = tf.tidy(() => tf.add(x, tf.pad(tf.ones([1, 1, 1, 1]), [[1, 0], [27, 0], [27, 0], [0, 0]])));
  const after = model.apply(moved as tf.Tensor4D, { training: false });
  const [a, b] = [await evaluate.data(), await after.data()];
  assert.deepEqual(a.slice(0, 10), b.slice(0, 10), 'the first image is untouched');
  assert.notDeepEqual(a.slice(10), b.slice(10));
  tf.dispose([x, train, evaluate, moved, after]);
  model.dispose();
});

const cases: Array<[string, () => tf.Tensor[]]> = [
  ['layer norm over the last axis', () => {
    const registry = new ParamRegistry(1);
    const norm = new LayerNorm(new ParamScope(registry), 16);
    norm.gamma.assign(seededInput('ln-gamma', [16]));
    norm.beta.assign(seededInput('ln-beta', [16]));
    const x = seededInput('ln-x', [3, 5, 16]);
    const out = valueAndGrads('ln', (v, g, b) => {
      const y = tf.mul(tf.sub(v, tf.mean(v, 2, true)), tf.rsqrt(tf.add(tf.mean(tf.square(tf.sub(v, tf.mean(v, 2, true))), 2, true), 1e-5)));
      return tf.add(tf.mul(y, g), b);
    }, [x, norm.gamma, norm.beta]);
    const viaLayer = tf.grads((v: tf.Tensor) => tf.sum(tf.square(norm.apply(v))))([x]);
    registry.dispose();
    return [...out, ...viaLayer];
  }],
  ['GELU (erf)', () => valueAndGrads('gelu', (x) => gelu(tf.mul(x, 2)), [seededInput('gelu', [4, 7, 9])])],
  ['batched matMul with transposes, rank 4', () => [
    ...valueAndGrads('bmm-nt', (a, b) => tf.matMul(a as tf.Tensor4D, b as tf.Tensor4D, false, true), [seededInput('bmm-a', [2, 3, 9, 8]), seededInput('bmm-b', [2, 3, 9, 8])]),
    ...valueAndGrads('bmm-nn', (a, b) => tf.matMul(a as tf.Tensor4D, b as tf.Tensor4D), [seededInput('bmm-p', [2, 3, 9, 9]), seededInput('bmm-v', [2, 3, 9, 8])]),
  ]],
  ['softmax over the last axis of a rank-4 tensor', () => valueAndGrads('softmax4', (x) => tf.softmax(x), [seededInput('softmax4', [2, 3, 9, 9])])],
  ['head split and merge: transpose, split, tile, concat, slice', () => valueAndGrads('tokens', (x, cls) => {
    const qkv = tf.transpose(tf.reshape(x, [2, 5, 6, 4]), [0, 2, 1, 3]);
    const [q, k] = tf.split(qkv, 3, 1) as [tf.Tensor, tf.Tensor];
    const joined = tf.concat([tf.tile(cls, [2, 1, 1]), tf.reshape(tf.transpose(tf.mul(q, k), [0, 2, 1, 3]), [2, 5, 8])], 1);
    return tf.slice(joined, [0, 0, 0], [2, 3, 8]);
  }, [seededInput('tokens-x', [2, 5, 24]), seededInput('tokens-cls', [1, 1, 8])])],
  ['multi-head self-attention', () => {
    const registry = new ParamRegistry(2);
    const attention = new MultiHeadSelfAttention(new ParamScope(registry), 16, 4);
    const x = seededInput('mhsa-x', [3, 7, 16]);
    const out = valueAndGrads('mhsa', (v) => attention.apply(v as tf.Tensor3D), [x]);
    const variables = registry.trainable().map((p) => p.variable);
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(attention.apply(x as tf.Tensor3D))), variables);
    const result = [...out, value, ...variables.map((v) => grads[v.name]!)];
    registry.dispose();
    return result;
  }],
];

for (const [name, compute] of cases) {
  test(`${name}: wasm matches cpu`, async () => {
    await assertBackendsAgree(name, compute);
  });
}

test('whole-network gradients of vit-tiny (training mode) match cpu on both image layouts', async () => {
  const shapes: ImageShape[] = [[12, 12, 1], [8, 10, 3]];
  for (const inputShape of shapes) {
    await assertBackendsAgree(`vit-tiny ${inputShape} gradients`, () => {
      const model = buildModel('vit-tiny', { inputShape, numClasses: 10, seed: 21 });
      const variables = model.params.trainable().map((p) => p.variable);
      const x = seededInput(`vit/${inputShape}`, [4, ...inputShape]) as tf.Tensor4D;
      const labels = tf.oneHot(tf.tensor1d([0, 3, 7, 9], 'int32'), 10);
      const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true })) as tf.Scalar, variables);
      const out = [value, ...variables.map((v) => grads[v.name]!)];
      model.dispose();
      return out;
    });
  }
});

test('vit-tiny learns from real Fashion-MNIST images: the loss falls within a few steps', async () => {
  await initBackend();
  const data = await loadFashionMnist();
  const pixels = 28 * 28;
  const count = 384;
  const source = new ArraySource({
    images: data.train.images.subarray(0, count * pixels),
    labels: Int32Array.from({ length: count }, (_, i) => data.train.labels[i]!),
    shape: data.shape,
    numClasses: data.numClasses,
    normalization: data.normalization,
  });
  const result = await train({
    config: { model: 'vit-tiny', epochs: 3, batchSize: 32, seed: 3, optimizer: { name: 'adamw', lr: 2e-3, weightDecay: 0.05 }, schedule: { name: 'constant' }, loss: { method: 'ceiling' } },
    source,
    stream: 'vit-fashion',
  });
  const losses = result.history.map((m) => m.loss.total!);
  assert.equal(losses.length, 3);
  assert.ok(losses.every(Number.isFinite));
  assert.ok(losses[0]! < Math.log(10) + 0.2, `first epoch near chance or better: ${losses[0]}`);
  assert.ok(losses[1]! < losses[0]! && losses[2]! < losses[1]!, `the loss falls every epoch: ${losses.join(' -> ')}`);
  assert.ok(losses[2]! < losses[0]! - 0.15, `and by more than 0.15 over 36 steps: ${losses.join(' -> ')}`);
  const accuracies = result.history.map((m) => m.trainAccuracy!);
  assert.ok(accuracies[2]! > 0.2 && accuracies[2]! > accuracies[0]!, `training accuracy in the third epoch is above twice chance and above the first epoch: ${accuracies.join(' -> ')}`);
  result.model.dispose();
});
