/**
 * Backend selection. TensorFlow.js runs on whichever backend is present:
 * `tensorflow` (libtensorflow through tfjs-node-gpu, else tfjs-node) when one
 * of those optional packages is installed, else `wasm`, else `cpu`.
 * `W2S_BACKEND` overrides the order. The caller logs the returned info and
 * lineage records it, so nothing downstream assumes one backend.
 *
 * The native backend runs each op on a pool of intra-op threads, sized once
 * when libtensorflow starts: `W2S_THREADS`, else every core this process may
 * use. wasm runs one thread per process (more cores come from ml/parallel's
 * replicas).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmKernels } from './kernels/register.js';
import { registerTensorflowKernels } from './kernels/tensorflow/register.js';
import { KERNELS_WASM_SOURCE_SHA256 } from './kernels/native/kernels-wasm.js';

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
  /** Extra kernels w2s installed on this backend (wasm: the SIMD128 build, by source hash); empty when none. */
  readonly kernels: string;
  /** Why this backend was chosen: `W2S_BACKEND` or `first available`. */
  readonly reason: string;
  /** Threads one op may use: libtensorflow's intra-op pool; 1 on wasm and cpu. */
  readonly threads: number;
}

/** Starts one backend; resolves undefined when it cannot run here. */
export type Activator = () => Promise<BackendInfo | undefined>;

let active: BackendInfo | undefined;

/** The packages the native backend can come from, in the order they are tried. */
export const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

/** The installed version of `pkg` as this process would resolve it, or undefined when it is not installed. */
export function installedVersion(pkg: string): string | undefined {
  try {
    const manifest = createRequire(import.meta.url).resolve(`${pkg}/package.json`);
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: string }).version ?? 'unknown version';
  } catch {
    return undefined;
  }
}

export function isBackendName(value: string): value is BackendName {
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

/**
 * Intra-op threads for the native backend: `W2S_THREADS` (a positive
 * integer), else every core available to this process. Bad values are an
 * error naming the variable.
 */
export function nativeThreads(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.W2S_THREADS?.trim();
  if (!raw) return availableParallelism();
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`W2S_THREADS=${raw}: expected a positive integer (threads per op on the native backend)`);
  return n;
}

/** The thread count libtensorflow was (or will be) started with in this process. */
let tensorflowThreads: number | undefined;

async function activateTensorflow(): Promise<BackendInfo | undefined> {
  // libtensorflow reads TF_NUM_INTRAOP_THREADS once, when its first context
  // is made at import, so the size is fixed before the first import.
  if (tensorflowThreads === undefined) {
    tensorflowThreads = nativeThreads();
    process.env.TF_NUM_INTRAOP_THREADS = String(tensorflowThreads);
    process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
  }
  for (const pkg of NATIVE_PACKAGES) {
    if ((await tryImport(pkg)) && (await tf.setBackend('tensorflow'))) {
      await tf.ready();
      registerTensorflowKernels();
      const gpu = pkg.endsWith('-gpu');
      const threads = `${tensorflowThreads} intra-op thread${tensorflowThreads === 1 ? '' : 's'}`;
      return describe('tensorflow', pkg, gpu ? `libtensorflow (CUDA when a GPU is visible; ${threads})` : `libtensorflow (CPU, ${threads})`, '', tensorflowThreads);
    }
  }
  return undefined;
}

async function activateWasm(): Promise<BackendInfo | undefined> {
  try {
    if (!(await tf.setBackend('wasm'))) return undefined;
    await tf.ready();
  } catch {
    return undefined;
  }
  registerWasmKernels();
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const kernels = `w2s-simd128 ${KERNELS_WASM_SOURCE_SHA256.slice(0, 12)}`;
  return describe('wasm', '@tensorflow/tfjs-backend-wasm', simd ? 'WebAssembly SIMD, one thread' : 'WebAssembly, one thread', kernels, 1);
}

async function activateCpu(): Promise<BackendInfo> {
  await tf.setBackend('cpu');
  await tf.ready();
  return describe('cpu', '@tensorflow/tfjs-backend-cpu', 'plain JavaScript', '', 1);
}

function describe(name: BackendName, pkg: string, device: string, kernels: string, threads: number): BackendInfo {
  return { name, package: pkg, device, tfjsVersion: tf.version.tfjs, kernels, reason: '', threads };
}

export const DEFAULT_ACTIVATORS: Readonly<Record<BackendName, Activator>> = {
  tensorflow: activateTensorflow,
  wasm: activateWasm,
  cpu: activateCpu,
};

/**
 * The selection rule on its own: the named backend or an error, else the
 * first of BACKEND_NAMES that starts. Naming a backend that cannot start is
 * an error rather than a silent fallback: a user who asked for the GPU must
 * not get a run on plain JavaScript without knowing.
 */
export async function selectBackend(preferred: string | undefined, activators: Readonly<Record<BackendName, Activator>>): Promise<BackendInfo> {
  const wanted = preferred?.trim();
  if (wanted) {
    if (!isBackendName(wanted)) {
      throw new Error(`W2S_BACKEND=${wanted}: unknown backend; expected one of ${BACKEND_NAMES.join(', ')}`);
    }
    const info = await activators[wanted]();
    if (!info) {
      const hint = wanted === 'tensorflow' ? ' (install @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node)' : '';
      throw new Error(`W2S_BACKEND=${wanted}: backend could not be started${hint}`);
    }
    return { ...info, reason: 'W2S_BACKEND' };
  }
  for (const name of BACKEND_NAMES) {
    const info = await activators[name]();
    if (info) return { ...info, reason: 'first available' };
  }
  throw new Error(`no TensorFlow.js backend could be started (tried ${BACKEND_NAMES.join(', ')})`);
}

/**
 * Activates the best available backend, or the one named by `preferred`
 * (defaults to `W2S_BACKEND`). Without a preference, a backend already
 * activated stays: the first choice in a process holds.
 */
export async function initBackend(preferred: string | undefined = process.env.W2S_BACKEND): Promise<BackendInfo> {
  const wanted = preferred?.trim();
  if (active && tf.getBackend() === active.name && (!wanted || active.name === wanted)) return active;
  active = await selectBackend(wanted, DEFAULT_ACTIVATORS);
  return active;
}

/** The backend activated by `initBackend`, for lineage records. */
export function activeBackend(): BackendInfo | undefined {
  return active;
}
