/**
 * bench/flops.ts turns profiled kernels into the GEMM FLOPs behind the
 * GFLOP/s figures in BENCHMARKS.md: 2 * (output elements) * (products per
 * output) for convolutions, their two gradients and matrix products, and
 * nothing for element-wise kernels.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { countFlops, kernelFlops } from '../../bench/flops.js';
import { initBackend } from '../../ml/backend.js';

test('kernel FLOPs from shapes: a convolution, its gradients, matrix products; element-wise kernels count nothing', () => {
  // 3x3x3 filter, 16 outputs on an 8x8 image: 1024 outputs of 27 products each.
  assert.equal(kernelFlops('Conv2D', [[1, 8, 8, 3], [3, 3, 3, 16]], [[1, 8, 8, 16]]), 55_296);
  assert.equal(kernelFlops('FusedConv2D', [[1, 8, 8, 3], [3, 3, 3, 16], [16]], [[1, 8, 8, 16]]), 55_296);
  // The gradients do the same products as the forward pass: dx from dy (shape of the output) and the filter, dW from x and dy.
  assert.equal(kernelFlops('Conv2DBackpropInput', [[1, 8, 8, 16], [3, 3, 3, 16]], [[1, 8, 8, 3]]), 2 * 1024 * 27);
  assert.equal(kernelFlops('Conv2DBackpropFilter', [[1, 8, 8, 3], [1, 8, 8, 16]], [[3, 3, 3, 16]]), 55_296);
  // [2, 3, 4] x [2, 4, 5]: 30 outputs of 4 products each.
  assert.equal(kernelFlops('BatchMatMul', [[2, 3, 4], [2, 4, 5]], [[2, 3, 5]]), 240);
  assert.equal(kernelFlops('_FusedMatMul', [[1, 6, 10], [1, 10, 7]], [[1, 6, 7]]), 840);
  for (const name of ['Add', 'Relu', 'Mean', 'MaxPool']) assert.equal(kernelFlops(name, [[4, 4]], [[4, 4]]), 0, name);
});

test('countFlops sums the GEMM work of what a function runs, and only that', async () => {
  await initBackend('wasm');
  const x = tf.ones([2, 5, 5, 4]) as tf.Tensor4D;
  const filter = tf.ones([3, 3, 4, 6]) as tf.Tensor4D;
  const a = tf.ones([3, 4]) as tf.Tensor2D;
  const b = tf.ones([4, 5]) as tf.Tensor2D;
  try {
    // 2 * 300 outputs (2x5x5x6) * 36 products, plus 2 * 15 * 4; the relu and the add are free.
    const flops = await countFlops(() => {
      tf.tidy(() => {
        tf.relu(tf.conv2d(x, filter, 1, 'same'));
        tf.add(tf.matMul(a, b), 1);
      });
    });
    assert.equal(flops, 2 * 300 * 36 + 2 * 15 * 4);
    assert.equal(await countFlops(() => tf.tidy(() => void tf.relu(tf.add(a, 1)))), 0);
  } finally {
    tf.dispose([x, filter, a, b]);
  }
});
