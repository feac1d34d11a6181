/**
 * The kernels w2s substitutes for shipped wasm ones (reductions, matrix
 * products, batch norm, Identity/Cast) on the shapes the fast paths take and
 * on those they hand back to the shipped kernels; against cpu, relative
 * error under 1e-4.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../ml/backend.js';
import { Rng } from '../../core/random.js';

function input(key: string, shape: number[], dtype: 'float32' | 'int32' = 'float32'): tf.Tensor {
  const rng = Rng.keyed(9, key);
  const values = Array.from({ length: tf.util.sizeFromShape(shape) }, () => (dtype === 'int32' ? rng.int(100) - 50 : rng.normal()));
  return tf.tensor(values, shape, dtype);
}

async function assertBackendsAgree(label: string, compute: () => tf.Tensor[]): Promise<void> {
  const results: Array<{ shapes: number[][]; dtypes: string[]; values: Float64Array[] }> = [];
  for (const backend of ['cpu', 'wasm']) {
    await initBackend(backend);
    const outputs = tf.tidy(compute);
    const values = await Promise.all(outputs.map(async (t) => Float64Array.from(await t.data())));
    results.push({ shapes: outputs.map((t) => t.shape), dtypes: outputs.map((t) => t.dtype), values });
    tf.dispose(outputs);
  }
  const [cpu, wasm] = results as [(typeof results)[0], (typeof results)[0]];
  assert.deepEqual(wasm.shapes, cpu.shapes, `${label}: shapes`);
  assert.deepEqual(wasm.dtypes, cpu.dtypes, `${label}: dtypes`);
  cpu.values.forEach((want, i) => {
    const got = wasm.values[i]!;
    let diff = 0;
    let scale = 1e-30;
    want.forEach((w, j) => {
      diff = Math.max(diff, Math.abs(got[j]! - w));
      scale = Math.max(scale, Math.abs(w));
    });
    assert.ok(diff / scale < 1e-4, `${label} output ${i}: relative error ${(diff / scale).toExponential(2)}`);
  });
}

test('sum and mean over leading, middle and trailing axes, with and without keepDims, float and int', async () => {
  await assertBackendsAgree('reductions', () => {
    const x = input('x', [4, 5, 6, 7]);
    const big = input('big', [3, 200, 33]);
    return [
      tf.sum(x, [0, 1, 2]),
      tf.mean(x, [0, 1, 2], true),
      tf.mean(x, [1, 2]),
      tf.sum(x, 1, true),
      tf.sum(x, [0]),
      tf.mean(x, -1),
      tf.sum(x, [0, 2]),
      tf.sum(x),
      tf.sum(big, 1),
      tf.mean(big, [0, 1]),
      tf.sum(input('ints', [4, 6, 3], 'int32'), [0, 1]),
    ];
  });
});

test('a long per-channel sum stays accurate (blocked accumulation)', async () => {
  await initBackend('wasm');
  const rows = 200_000;
  const values = new Float32Array(rows * 3);
  for (let r = 0; r < rows; r++) values.set([0.1, 1 + (r % 7) * 1e-3, -0.7], r * 3);
  const sums = tf.tidy(() => tf.sum(tf.tensor2d(values, [rows, 3]), 0));
  const got = await sums.data();
  sums.dispose();
  let exact = 0;
  for (let r = 0; r < rows; r++) exact += Math.fround(1 + (r % 7) * 1e-3);
  assert.ok(Math.abs(got[0]! - rows * Math.fround(0.1)) / (rows * 0.1) < 1e-5, `column 0: ${got[0]}`);
  assert.ok(Math.abs(got[1]! - exact) / exact < 1e-5, `column 1: ${got[1]} vs ${exact}`);
});

test('matMul with every transpose combination, batches with broadcasting, fused bias and ReLU, odd sizes', async () => {
  await assertBackendsAgree('matmul', () => {
    const outs: tf.Tensor[] = [];
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const a = input(`a${ta}${tb}`, ta ? [13, 7] : [7, 13]);
      const b = input(`b${ta}${tb}`, tb ? [9, 13] : [13, 9]);
      outs.push(tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, ta, tb));
    }
    outs.push(tf.matMul(input('ba', [3, 5, 6]) as tf.Tensor3D, input('bb', [1, 6, 11]) as tf.Tensor3D));
    outs.push(tf.matMul(input('bc', [1, 6, 5]) as tf.Tensor3D, input('bd', [4, 11, 6]) as tf.Tensor3D, true, true));
    outs.push(tf.fused.matMul({ a: input('fa', [5, 17]) as tf.Tensor2D, b: input('fb', [17, 3]) as tf.Tensor2D, bias: input('fbias', [3]), activation: 'relu' }));
    outs.push(tf.fused.matMul({ a: input('fc', [64, 300]) as tf.Tensor2D, b: input('fd', [300, 128]) as tf.Tensor2D, bias: input('fe', [128]) }));
    outs.push(tf.fused.matMul({ a: input('ff', [4, 6]) as tf.Tensor2D, b: input('fg', [6, 5]) as tf.Tensor2D, activation: 'elu' }));
    return outs;
  });
});

test('batch norm with per-channel statistics as [C] or [1,1,1,C], with and without offset and scale', async () => {
  await assertBackendsAgree('batch norm', () => {
    const x = input('bn-x', [2, 3, 3, 5]) as tf.Tensor4D;
    const mean = input('bn-m', [5]) as tf.Tensor1D;
    const variance = tf.abs(input('bn-v', [5])) as tf.Tensor1D;
    return [
      tf.batchNorm(x, mean, variance, input('bn-o', [5]) as tf.Tensor1D, input('bn-s', [5]) as tf.Tensor1D, 1e-3),
      tf.batchNorm(x, mean.reshape([1, 1, 1, 5]), variance.reshape([1, 1, 1, 5]), undefined, undefined, 1e-5),
      tf.batchNorm(input('bn-x2', [7, 3]) as tf.Tensor2D, input('bn-m2', [3]) as tf.Tensor1D, tf.abs(input('bn-v2', [3])) as tf.Tensor1D),
    ];
  });
});

test('Identity and same-dtype Cast share the buffer safely: the copy outlives the original', async () => {
  await initBackend('wasm');
  const original = tf.tensor1d([1, 2, 3]);
  const copy = tf.clone(original);
  const cast = tf.cast(original, 'float32');
  const converted = tf.cast(original, 'int32');
  original.dispose();
  assert.deepEqual(Array.from(await copy.data()), [1, 2, 3]);
  assert.deepEqual(Array.from(await cast.data()), [1, 2, 3]);
  assert.equal(converted.dtype, 'int32');
  assert.deepEqual(Array.from(await converted.data()), [1, 2, 3]);
  const before = tf.memory().numBytes;
  tf.dispose([copy, cast, converted]);
  assert.ok(tf.memory().numBytes < before);
});

test('oneHot honours its dtype (the shipped wasm kernel writes int32 bits into float32 tensors)', async () => {
  await assertBackendsAgree('oneHot', () => {
    const indices = tf.tensor1d([0, 2, 1, 5, -1], 'int32');
    return [tf.oneHot(indices, 4), tf.oneHot(indices, 4, 3, -1, 'float32'), tf.oneHot(indices, 3, 1, 0, 'int32')];
  });
});
