/**
 * Backend selection. TensorFlow.js runs on whichever backend is present:
 * `tensorflow` (libtensorflow through tfjs-node-gpu, else tfjs-node) when one
 * of those optional packages is installed, else `wasm`, else `cpu`.
 * `W2S_BACKEND` overrides the order. The choice is logged by the caller and
 * recorded in lineage, so nothing downstream assumes one backend.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmGradientKernels } from './kernels/wasm-gradients.js';

export const BACKEND_NAMES = ['tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface BackendInfo {
  /** The tfjs backend now active. */
  readonly name: BackendName;
  /** The npm package that provides it. */
  readonly package: string;
  /** A human description of the device (GPU, SIMD wasm, plain JavaScript). */
  readonly device: string;
  readonly tfjsVersion: string;
  /** Why this backend was chosen (env override or first available). */
  readonly reason: string;
}

let active: BackendInfo | undefined;

function isBackendName(value: string): value is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(value);
}

async function tryImport(specifier: string): Promise<boolean> {
  try {
    await import(specifier);
    return true;
  } catch {
    return false;
  }
}

async function activateTensorflow(): Promise<BackendInfo | undefined> {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    if ((await tryImport(pkg)) && (await tf.setBackend('tensorflow'))) {
      await tf.ready();
      const gpu = pkg.endsWith('-gpu');
      return describe('tensorflow', pkg, gpu ? 'libtensorflow (CUDA when a GPU is visible)' : 'libtensorflow (CPU)');
    }
  }
  return undefined;
}

async function activateWasm(): Promise<BackendInfo | undefined> {
  if (!(await tf.setBackend('wasm'))) return undefined;
  await tf.ready();
  registerWasmGradientKernels();
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  return describe('wasm', '@tensorflow/tfjs-backend-wasm', simd ? 'WebAssembly SIMD, one thread' : 'WebAssembly, one thread');
}

async function activateCpu(): Promise<BackendInfo> {
  await tf.setBackend('cpu');
  await tf.ready();
  return describe('cpu', '@tensorflow/tfjs-backend-cpu', 'plain JavaScript');
}

function describe(name: BackendName, pkg: string, device: string): BackendInfo {
  return { name, package: pkg, device, tfjsVersion: tf.version.tfjs, reason: '' };
}

const activators: Record<BackendName, () => Promise<BackendInfo | undefined>> = {
  tensorflow: activateTensorflow,
  wasm: activateWasm,
  cpu: activateCpu,
};

/**
 * Activates the best available backend, or the one named by `preferred`
 * (defaults to `W2S_BACKEND`). Naming a backend that cannot start is an
 * error rather than a silent fallback: a user who asked for the GPU must
 * not get a run on plain JavaScript without knowing.
 */
export async function initBackend(preferred: string | undefined = process.env.W2S_BACKEND): Promise<BackendInfo> {
  const wanted = preferred?.trim();
  if (wanted) {
    if (!isBackendName(wanted)) {
      throw new Error(`W2S_BACKEND=${wanted}: unknown backend; expected one of ${BACKEND_NAMES.join(', ')}`);
    }
    if (active?.name === wanted) return active;
    const info = await activators[wanted]();
    if (!info) {
      const hint = wanted === 'tensorflow' ? ' (install @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node)' : '';
      throw new Error(`W2S_BACKEND=${wanted}: backend could not be started${hint}`);
    }
    active = { ...info, reason: 'W2S_BACKEND' };
    return active;
  }
  if (active) return active;
  for (const name of BACKEND_NAMES) {
    const info = await activators[name]();
    if (info) {
      active = { ...info, reason: 'first available' };
      return active;
    }
  }
  throw new Error('no TensorFlow.js backend could be started');
}

/** The backend activated by `initBackend`, for lineage records. */
export function activeBackend(): BackendInfo | undefined {
  return active;
}
