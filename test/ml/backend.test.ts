import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { activeBackend, DEFAULT_ACTIVATORS, initBackend, selectBackend, type Activator, type BackendName } from '../../ml/backend.js';
import { KERNELS_WASM_SOURCE_SHA256 } from '../../ml/kernels/native/kernels-wasm.js';

async function importable(specifier: string): Promise<boolean> {
  try {
    await import(specifier);
    return true;
  } catch {
    return false;
  }
}

const unavailable: Activator = async () => undefined;

test('without W2S_BACKEND the first backend that starts is chosen (tensorflow when installed, else wasm)', async () => {
  delete process.env.W2S_BACKEND;
  const tensorflowInstalled = (await importable('@tensorflow/tfjs-node')) || (await importable('@tensorflow/tfjs-node-gpu'));
  const info = await initBackend();
  assert.equal(info.name, tensorflowInstalled ? 'tensorflow' : 'wasm');
  assert.equal(info.reason, 'first available');
  assert.equal(tf.getBackend(), info.name);
  assert.equal(activeBackend(), info);
});

test('the wasm backend reports the w2s kernel build it runs, for lineage', async () => {
  const info = await initBackend('wasm');
  assert.equal(info.name, 'wasm');
  assert.equal(info.kernels, `w2s-simd128 ${KERNELS_WASM_SOURCE_SHA256.slice(0, 12)}`);
  assert.match(info.device, /WebAssembly/);
});

test('W2S_BACKEND overrides the order, and a later call without a preference keeps the choice', async () => {
  process.env.W2S_BACKEND = 'cpu';
  try {
    const info = await initBackend();
    assert.equal(info.name, 'cpu');
    assert.equal(info.reason, 'W2S_BACKEND');
    assert.equal(tf.getBackend(), 'cpu');
  } finally {
    delete process.env.W2S_BACKEND;
  }
  assert.equal((await initBackend()).name, 'cpu');
  assert.equal((await initBackend('wasm')).name, 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
});

test('an unknown backend name is an error that lists the known ones', async () => {
  await assert.rejects(initBackend('webgpu'), /W2S_BACKEND=webgpu: unknown backend; expected one of tensorflow, wasm, cpu/);
  await assert.rejects(selectBackend(' gpu ', DEFAULT_ACTIVATORS), /unknown backend/);
});

test('naming a backend that cannot start fails instead of falling back', async () => {
  const tensorflowInstalled = (await importable('@tensorflow/tfjs-node')) || (await importable('@tensorflow/tfjs-node-gpu'));
  if (!tensorflowInstalled) {
    await assert.rejects(initBackend('tensorflow'), /W2S_BACKEND=tensorflow: backend could not be started \(install @tensorflow\/tfjs-node-gpu or @tensorflow\/tfjs-node\)/);
  }
  const activators: Record<BackendName, Activator> = { ...DEFAULT_ACTIVATORS, wasm: unavailable };
  await assert.rejects(selectBackend('wasm', activators), /W2S_BACKEND=wasm: backend could not be started$/);
});

test('selection falls through to the next backend when one cannot start', async () => {
  const tried: string[] = [];
  const track = (name: BackendName, activator: Activator): Activator => async () => {
    tried.push(name);
    return activator();
  };
  const info = await selectBackend(undefined, {
    tensorflow: track('tensorflow', unavailable),
    wasm: track('wasm', unavailable),
    cpu: track('cpu', DEFAULT_ACTIVATORS.cpu),
  });
  assert.deepEqual(tried, ['tensorflow', 'wasm', 'cpu']);
  assert.equal(info.name, 'cpu');
  assert.equal(info.reason, 'first available');
  assert.equal(tf.getBackend(), 'cpu');
  await assert.rejects(selectBackend(undefined, { tensorflow: unavailable, wasm: unavailable, cpu: unavailable }), /no TensorFlow.js backend could be started/);
});
