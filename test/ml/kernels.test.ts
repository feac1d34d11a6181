/**
 * The w2s wasm convolution kernels (forward and both gradients, direct and
 * Winograd) against the cpu backend (tfjs's reference implementation) on
 * random shapes: strides 1 and 2, 'same' and 'valid', odd sizes, batch 1,
 * 1x1, 3x3 and 5x5 filters, depthwise with channel multipliers 1 to 3.
 * Relative error (max |wasm - cpu| / max |cpu|) must stay under 1e-4.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../ml/backend.js';
import { Rng } from '../../core/random.js';
import { convGeometry, setWinograd, winogradTileFor, type WinogradTile } from '../../ml/kernels/conv-geometry.js';

type Shape4 = [number, number, number, number];
type Pad = 'same' | 'valid';

function randomValues(rng: Rng, size: number): Float32Array {
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = rng.normal();
  return values;
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

/** Runs `compute` on cpu and on wasm and checks every output agrees. */
async function assertBackendsAgree(label: string, compute: () => tf.Tensor[]): Promise<void> {
  const results: Record<string, { shapes: number[][]; values: Float32Array[] }> = {};
  for (const backend of ['cpu', 'wasm']) {
    await initBackend(backend);
    const outputs = tf.tidy(compute);
    results[backend] = { shapes: outputs.map((t) => t.shape), values: await Promise.all(outputs.map(async (t) => (await t.data()) as Float32Array)) };
    tf.dispose(outputs);
  }
  const cpu = results.cpu!;
  const wasm = results.wasm!;
  assert.deepEqual(wasm.shapes, cpu.shapes, `${label}: shapes`);
  cpu.values.forEach((want, i) => {
    const error = relativeError(wasm.values[i]!, want);
    assert.ok(error < 1e-4, `${label} output ${i}: relative error ${error.toExponential(2)}`);
  });
}

interface ConvCase {
  x: Shape4;
  k: number;
  outChannels: number;
  stride: number;
  pad: Pad;
}

function convOutSize(size: number, k: number, stride: number, pad: Pad): number {
  return pad === 'same' ? Math.ceil(size / stride) : Math.floor((size - k) / stride) + 1;
}

/** Hand-picked edge cases plus seeded random shapes. */
function convCases(seed: number, count: number): ConvCase[] {
  const cases: ConvCase[] = [
    { x: [1, 7, 7, 3], k: 3, outChannels: 4, stride: 1, pad: 'same' },
    { x: [2, 9, 9, 2], k: 3, outChannels: 5, stride: 2, pad: 'same' },
    { x: [3, 8, 8, 2], k: 3, outChannels: 2, stride: 2, pad: 'valid' },
    { x: [2, 9, 10, 3], k: 1, outChannels: 4, stride: 2, pad: 'valid' },
    { x: [2, 8, 8, 16], k: 1, outChannels: 32, stride: 2, pad: 'same' },
    { x: [1, 11, 6, 9], k: 5, outChannels: 17, stride: 2, pad: 'same' },
    { x: [2, 12, 12, 32], k: 3, outChannels: 32, stride: 1, pad: 'same' },
    { x: [1, 10, 10, 16], k: 3, outChannels: 32, stride: 2, pad: 'same' },
    { x: [2, 28, 28, 1], k: 3, outChannels: 32, stride: 1, pad: 'same' },
    // Winograd path (3x3, stride 1, >= 8 channels each side): odd sizes crop tiles; channel counts off the SIMD widths.
    { x: [2, 9, 7, 10], k: 3, outChannels: 13, stride: 1, pad: 'same' },
    { x: [2, 9, 7, 10], k: 3, outChannels: 13, stride: 1, pad: 'valid' },
    { x: [1, 5, 5, 8], k: 3, outChannels: 8, stride: 1, pad: 'same' },
    { x: [3, 15, 14, 20], k: 3, outChannels: 9, stride: 1, pad: 'valid' },
    { x: [1, 3, 4, 12], k: 3, outChannels: 16, stride: 1, pad: 'same' },
  ];
  const rng = Rng.keyed(seed, 'conv-cases');
  while (cases.length < count) {
    const k = [1, 3, 5][rng.int(3)]!;
    const stride = 1 + rng.int(2);
    const pad: Pad = rng.int(2) === 0 ? 'same' : 'valid';
    const h = k + rng.int(9);
    const w = k + rng.int(9);
    cases.push({ x: [1 + rng.int(3), h, w, 1 + rng.int(12)], k, outChannels: 1 + rng.int(20), stride, pad });
  }
  return cases;
}

test('Conv2DBackpropFilter and Conv2DBackpropInput match cpu', async () => {
  for (const [i, c] of convCases(11, 24).entries()) {
    const rng = Rng.keyed(11, 'conv', i);
    const filterShape: Shape4 = [c.k, c.k, c.x[3], c.outChannels];
    const dyShape: Shape4 = [c.x[0], convOutSize(c.x[1], c.k, c.stride, c.pad), convOutSize(c.x[2], c.k, c.stride, c.pad), c.outChannels];
    const x = randomValues(rng, tf.util.sizeFromShape(c.x));
    const filter = randomValues(rng, tf.util.sizeFromShape(filterShape));
    const dy = randomValues(rng, tf.util.sizeFromShape(dyShape));
    const attrs = { strides: [c.stride, c.stride], pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
    await assertBackendsAgree(`conv ${JSON.stringify(c)}`, () => [
      tf.engine().runKernel('Conv2DBackpropFilter', { x: tf.tensor4d(x, c.x), dy: tf.tensor4d(dy, dyShape) }, { ...attrs, filterShape } as unknown as tf.NamedAttrMap) as tf.Tensor,
      tf.engine().runKernel('Conv2DBackpropInput', { dy: tf.tensor4d(dy, dyShape), filter: tf.tensor4d(filter, filterShape) }, { ...attrs, inputShape: c.x } as unknown as tf.NamedAttrMap) as tf.Tensor,
    ]);
  }
});

test('gradients of conv2d through tf.grads match cpu (the attributes tfjs passes reach the kernels intact)', async () => {
  for (const [i, c] of convCases(12, 12).entries()) {
    const rng = Rng.keyed(12, 'conv-grad', i);
    const filterShape: Shape4 = [c.k, c.k, c.x[3], c.outChannels];
    const x = randomValues(rng, tf.util.sizeFromShape(c.x));
    const filter = randomValues(rng, tf.util.sizeFromShape(filterShape));
    await assertBackendsAgree(`conv grad ${JSON.stringify(c)}`, () => {
      const loss = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad).square().sum();
      return tf.grads(loss)([tf.tensor4d(x, c.x), tf.tensor4d(filter, filterShape)]);
    });
  }
});

test('depthwise conv gradients (DepthwiseConv2dNativeBackpropFilter/Input) match cpu', async () => {
  const cases: Array<ConvCase & { multiplier: number }> = [
    { x: [1, 7, 7, 3], k: 3, outChannels: 0, stride: 1, pad: 'same', multiplier: 1 },
    { x: [2, 9, 8, 8], k: 3, outChannels: 0, stride: 2, pad: 'same', multiplier: 1 },
    { x: [2, 8, 9, 5], k: 3, outChannels: 0, stride: 2, pad: 'valid', multiplier: 2 },
    { x: [1, 6, 6, 16], k: 1, outChannels: 0, stride: 1, pad: 'valid', multiplier: 1 },
    { x: [3, 11, 7, 6], k: 5, outChannels: 0, stride: 1, pad: 'same', multiplier: 3 },
    { x: [1, 5, 5, 2], k: 5, outChannels: 0, stride: 2, pad: 'valid', multiplier: 1 },
  ];
  for (const [i, c] of cases.entries()) {
    const rng = Rng.keyed(13, 'depthwise', i);
    const filterShape: Shape4 = [c.k, c.k, c.x[3], c.multiplier];
    const x = randomValues(rng, tf.util.sizeFromShape(c.x));
    const filter = randomValues(rng, tf.util.sizeFromShape(filterShape));
    await assertBackendsAgree(`depthwise ${JSON.stringify(c)}`, () => {
      const loss = (a: tf.Tensor, b: tf.Tensor) => tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad).square().sum();
      return tf.grads(loss)([tf.tensor4d(x, c.x), tf.tensor4d(filter, filterShape)]);
    });
  }
});

test('Conv2D and FusedConv2D (bias, ReLU; dilation) match cpu', async () => {
  for (const [i, c] of convCases(14, 16).entries()) {
    const rng = Rng.keyed(14, 'conv-forward', i);
    const filterShape: Shape4 = [c.k, c.k, c.x[3], c.outChannels];
    const x = randomValues(rng, tf.util.sizeFromShape(c.x));
    const filter = randomValues(rng, tf.util.sizeFromShape(filterShape));
    const bias = randomValues(rng, c.outChannels);
    const dilated = c.stride === 1 && c.k > 1 && c.x[1] >= 2 * c.k && c.x[2] >= 2 * c.k;
    await assertBackendsAgree(`conv forward ${JSON.stringify(c)}`, () => {
      const xt = tf.tensor4d(x, c.x);
      const ft = tf.tensor4d(filter, filterShape);
      return [
        tf.conv2d(xt, ft, c.stride, c.pad),
        tf.fused.conv2d({ x: xt, filter: ft, strides: c.stride, pad: c.pad, bias: tf.tensor1d(bias), activation: 'relu' }),
        tf.fused.conv2d({ x: xt, filter: ft, strides: c.stride, pad: c.pad, bias: tf.tensor1d(bias) }),
        ...(dilated ? [tf.conv2d(xt, ft, 1, c.pad, 'NHWC', 2)] : []),
      ];
    });
  }
});

test('Winograd F(2x2,3x3), F(4x4,3x3) and the direct kernels each match cpu on 3x3 stride-1 shapes, all three passes', async () => {
  const cases: ConvCase[] = [
    { x: [2, 9, 7, 10], k: 3, outChannels: 13, stride: 1, pad: 'same' },
    { x: [3, 15, 14, 20], k: 3, outChannels: 9, stride: 1, pad: 'valid' },
    { x: [1, 3, 4, 12], k: 3, outChannels: 16, stride: 1, pad: 'same' },
    { x: [2, 14, 14, 64], k: 3, outChannels: 64, stride: 1, pad: 'same' },
    { x: [1, 11, 10, 8], k: 3, outChannels: 8, stride: 1, pad: 'valid' },
  ];
  const variants: Array<WinogradTile | false> = [2, 4, false];
  try {
    for (const variant of variants) {
      setWinograd(variant);
      for (const [i, c] of cases.entries()) {
        const rng = Rng.keyed(15, 'winograd', i);
        const filterShape: Shape4 = [3, 3, c.x[3], c.outChannels];
        // Every case is Winograd-eligible: the variant under test is the path the kernels take.
        assert.equal(winogradTileFor(convGeometry('Conv2D', c.x, filterShape, 1, 1, c.pad, undefined, 'NHWC')), variant === false ? undefined : variant, JSON.stringify(c));
        const x = randomValues(rng, tf.util.sizeFromShape(c.x));
        const filter = randomValues(rng, tf.util.sizeFromShape(filterShape));
        const bias = randomValues(rng, c.outChannels);
        await assertBackendsAgree(`winograd ${variant} ${JSON.stringify(c)}`, () => {
          const loss = (a: tf.Tensor, b: tf.Tensor) =>
            tf.fused.conv2d({ x: a as tf.Tensor4D, filter: b as tf.Tensor4D, strides: 1, pad: c.pad, bias: tf.tensor1d(bias), activation: 'relu' }).square().sum();
          const xt = tf.tensor4d(x, c.x);
          const ft = tf.tensor4d(filter, filterShape);
          return [tf.fused.conv2d({ x: xt, filter: ft, strides: 1, pad: c.pad, bias: tf.tensor1d(bias), activation: 'relu' }), ...tf.grads(loss)([xt, ft])];
        });
      }
    }
  } finally {
    setWinograd(4);
  }
});
