/**
 * The embedded SIMD128 module: built from the sources in the tree, importing
 * nothing but the backend's memory, and still right after that memory grows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../ml/backend.js';
import { KERNELS_WASM_BASE64, KERNELS_WASM_SOURCE_SHA256 } from '../../ml/kernels/native/kernels-wasm.js';
import { nativeKernels } from '../../ml/kernels/native/module.js';
import { wasmApi } from '../../ml/kernels/native/webassembly.js';

// dist/test/ml -> repository root
const sourceDir = fileURLToPath(new URL('../../../ml/kernels/wasm-src/', import.meta.url));

test('the embedded module was built from the current sources (run ml/kernels/wasm-src/build.sh after editing them)', () => {
  const files = readdirSync(sourceDir)
    .filter((name) => name === 'build.sh' || name.endsWith('.c') || name.endsWith('.h'))
    .sort();
  assert.ok(files.includes('build.sh') && files.some((f) => f.endsWith('.c')), `sources found in ${sourceDir}: ${files.join(', ')}`);
  const hash = createHash('sha256');
  for (const name of files) hash.update(readFileSync(sourceDir + name));
  assert.equal(hash.digest('hex'), KERNELS_WASM_SOURCE_SHA256);
});

test('the module imports only the shared memory and the position-independent globals', () => {
  const module = new wasmApi.Module(Buffer.from(KERNELS_WASM_BASE64, 'base64'));
  const imports = wasmApi.Module.imports(module).map((i) => `${i.module}.${i.name}`);
  assert.deepEqual(imports.sort(), ['env.__indirect_function_table', 'env.__memory_base', 'env.__stack_pointer', 'env.__table_base', 'env.memory']);
});

test('kernels read and write tensors in place, also after the wasm memory has grown', async () => {
  await initBackend('wasm');
  const native = nativeKernels(tf.backend());
  const x = tf.randomNormal([2, 9, 9, 8], 0, 1, 'float32', 5);
  const dy = tf.randomNormal([2, 9, 9, 16], 0, 1, 'float32', 6);
  const filterGrad = () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 8, 16] } as unknown as tf.NamedAttrMap) as tf.Tensor;
  const before = filterGrad();
  const memory = (tf.backend() as unknown as { wasm: { asm: { memory: { buffer: ArrayBuffer } } } }).wasm.asm.memory;
  const sizeBefore = memory.buffer.byteLength;
  const big = tf.zeros([sizeBefore / 4 + 1024]);
  assert.ok(memory.buffer.byteLength > sizeBefore, 'memory grew');
  assert.equal(nativeKernels(tf.backend()), native, 'one instance per backend');
  const after = filterGrad();
  assert.deepEqual(await after.data(), await before.data());
  tf.dispose([x, dy, before, after, big]);
});
