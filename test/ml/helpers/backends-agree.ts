/**
 * wasm against cpu on the same computation: seeded random inputs, a fixed
 * random upstream gradient, relative error max |wasm - cpu| / max |cpu|.
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../ml/backend.js';
import { Rng } from '../../../core/random.js';

/** A normal(0, 1) tensor keyed by `key`: the same values on every backend. */
export function seededInput(key: string, shape: number[], seed = 7): tf.Tensor {
  const rng = Rng.keyed(seed, key);
  const values = new Float32Array(tf.util.sizeFromShape(shape));
  for (let i = 0; i < values.length; i++) values[i] = rng.normal();
  return tf.tensor(values, shape);
}

/** max |got - want| / max |want|, over the values of two arrays of the same length. */
export function relativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  return diff / Math.max(scale, 1e-30);
}

/** Runs `compute` on cpu, then on wasm, and asserts every output agrees within `tolerance`. */
export async function assertBackendsAgree(label: string, compute: () => tf.Tensor[], tolerance = 1e-4): Promise<void> {
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
    assert.ok(want.some((v) => v !== 0), `${label} output ${i}: cpu produced only zeros (the comparison would prove nothing)`);
    const error = relativeError(wasm.values[i]!, want);
    assert.ok(error < tolerance, `${label} output ${i}: relative error ${error.toExponential(2)}`);
  });
}

/** Value and gradients of sum(f(inputs) * r) for a fixed random r: a non-trivial upstream gradient. */
export function valueAndGrads(key: string, f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[]): tf.Tensor[] {
  const y = f(...inputs);
  const r = seededInput(`${key}/upstream`, y.shape);
  const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), r)))(inputs);
  return [y, ...grads];
}
