import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../ml/backend.js';

test('wasm Conv2DBackpropFilter matches cpu', async () => {
  const cases: Array<[number[], number[], number, 'same' | 'valid']> = [
    [[2, 7, 7, 3], [3, 3, 3, 4], 1, 'same'],
    [[1, 9, 9, 2], [3, 3, 2, 5], 2, 'same'],
    [[3, 8, 8, 2], [3, 3, 2, 2], 2, 'valid'],
    [[2, 9, 10, 3], [1, 1, 3, 4], 2, 'valid'],
  ];
  await initBackend('cpu');
  for (const [xs, fs, s, pad] of cases) {
    const xData = tf.randomNormal(xs, 0, 1, 'float32', 1).dataSync();
    const fData = tf.randomNormal(fs, 0, 1, 'float32', 2).dataSync();
    const grad = async (backend: string) => {
      await initBackend(backend);
      const x = tf.tensor4d(xData, xs as [number, number, number, number]);
      const f = tf.tensor4d(fData, fs as [number, number, number, number]);
      const g = tf.grad((w: tf.Tensor) => tf.conv2d(x, w as tf.Tensor4D, s, pad).square().sum())(f);
      const out = await g.data();
      tf.dispose([x, f, g]);
      return out;
    };
    const want = await grad('cpu');
    const got = await grad('wasm');
    for (let i = 0; i < want.length; i++) {
      assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-4 * (1 + Math.abs(want[i]!)), `${xs} ${fs} s=${s} ${pad} at ${i}: ${got[i]} vs ${want[i]}`);
    }
  }
});
