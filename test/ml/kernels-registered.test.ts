/**
 * The kernels that run on wasm are w2s's own, not the ones tfjs-backend-wasm
 * ships: comparing outputs with cpu cannot tell them apart, the kernel
 * registry can. And the Winograd path is chosen exactly for the shapes it
 * is meant for.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../ml/backend.js';
import { batchNormTrainConfig, batchNormTrainGradConfig } from '../../ml/kernels/batch-norm-train.js';
import { fusedBatchNormConfig } from '../../ml/kernels/batch-norm.js';
import { convGeometry, setWinograd, winogradTileFor, type PadAttr } from '../../ml/kernels/conv-geometry.js';
import { conv2dConfig, fusedConv2dConfig } from '../../ml/kernels/conv2d.js';
import { conv2dBackpropFilterConfig } from '../../ml/kernels/conv2d-backprop-filter.js';
import { conv2dBackpropInputConfig } from '../../ml/kernels/conv2d-backprop-input.js';
import { depthwiseBackpropFilterConfig, depthwiseBackpropInputConfig } from '../../ml/kernels/depthwise-backprop.js';
import { castConfig, identityConfig } from '../../ml/kernels/identity.js';
import { batchMatMulConfig, fusedMatMulConfig } from '../../ml/kernels/matmul.js';
import { maxPoolGradConfig } from '../../ml/kernels/max-pool-grad.js';
import { oneHotConfig } from '../../ml/kernels/one-hot.js';
import { meanConfig, sumConfig } from '../../ml/kernels/reduce.js';
import { NATIVE_KERNEL_NAMES, useNativeWasmKernels } from '../../ml/kernels/register.js';

const OURS: readonly tf.KernelConfig[] = [
  conv2dConfig,
  fusedConv2dConfig,
  conv2dBackpropFilterConfig,
  conv2dBackpropInputConfig,
  depthwiseBackpropFilterConfig,
  depthwiseBackpropInputConfig,
  maxPoolGradConfig,
  batchMatMulConfig,
  fusedMatMulConfig,
  sumConfig,
  meanConfig,
  fusedBatchNormConfig,
  identityConfig,
  castConfig,
  batchNormTrainConfig,
  batchNormTrainGradConfig,
  oneHotConfig,
];

test("after initBackend('wasm') every kernel w2s provides is the registered wasm kernel", async () => {
  await initBackend('wasm');
  assert.deepEqual([...NATIVE_KERNEL_NAMES].sort(), OURS.map((k) => k.kernelName).sort());
  for (const config of OURS) {
    assert.equal(tf.getKernel(config.kernelName, 'wasm')?.kernelFunc, config.kernelFunc, `${config.kernelName} runs w2s's kernel`);
  }
});

test('switching the w2s kernels off puts the shipped ones back, and on again restores ours', async () => {
  await initBackend('wasm');
  try {
    useNativeWasmKernels(false);
    // Conv2D and MatMul ship with tfjs-backend-wasm: they come back; our gradient kernels have no shipped counterpart.
    for (const config of [conv2dConfig, batchMatMulConfig, sumConfig]) {
      const shipped = tf.getKernel(config.kernelName, 'wasm');
      assert.ok(shipped, `tfjs-backend-wasm ships ${config.kernelName}`);
      assert.notEqual(shipped.kernelFunc, config.kernelFunc, `${config.kernelName} is the shipped kernel while ours are off`);
    }
    assert.equal(tf.getKernel(conv2dBackpropFilterConfig.kernelName, 'wasm'), undefined, 'no shipped Conv2DBackpropFilter');
  } finally {
    useNativeWasmKernels(true);
  }
  for (const config of OURS) assert.equal(tf.getKernel(config.kernelName, 'wasm')?.kernelFunc, config.kernelFunc);
});

function tileFor(x: readonly number[], filter: readonly number[], stride: number, pad: PadAttr, dilation = 1): number | undefined {
  return winogradTileFor(convGeometry('Conv2D', x, filter, stride, dilation, pad, undefined, 'NHWC'));
}

test('Winograd is taken for 3x3 stride-1 convolutions with at least 8 channels each side, and only for them', () => {
  try {
    setWinograd(4);
    assert.equal(tileFor([2, 14, 14, 32], [3, 3, 32, 64], 1, 'same'), 4);
    assert.equal(tileFor([1, 9, 7, 8], [3, 3, 8, 8], 1, 'valid'), 4);
    assert.equal(tileFor([2, 14, 14, 7], [3, 3, 7, 64], 1, 'same'), undefined, 'too few input channels');
    assert.equal(tileFor([2, 14, 14, 32], [3, 3, 32, 4], 1, 'same'), undefined, 'too few output channels');
    assert.equal(tileFor([2, 14, 14, 32], [3, 3, 32, 64], 2, 'same'), undefined, 'stride 2');
    assert.equal(tileFor([2, 14, 14, 32], [5, 5, 32, 64], 1, 'same'), undefined, '5x5 filter');
    assert.equal(tileFor([2, 14, 14, 32], [1, 1, 32, 64], 1, 'same'), undefined, '1x1 filter');
    assert.equal(tileFor([2, 14, 14, 32], [3, 3, 32, 64], 1, 'valid', 2), undefined, 'dilated');
    assert.equal(tileFor([2, 14, 14, 32], [3, 3, 32, 64], 1, [[0, 0], [3, 3], [3, 3], [0, 0]]), undefined, 'padding wider than the tile transform covers');
    setWinograd(2);
    assert.equal(tileFor([2, 14, 14, 32], [3, 3, 32, 64], 1, 'same'), 2);
    setWinograd(false);
    assert.equal(tileFor([2, 14, 14, 32], [3, 3, 32, 64], 1, 'same'), undefined, 'switched off');
  } finally {
    setWinograd(4);
  }
});
