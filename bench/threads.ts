/**
 * How a single-process case names itself and sizes its PyTorch baseline on
 * the backend it runs on: wasm runs one thread (`1-core`, beside PyTorch on
 * one thread); the native backend runs libtensorflow's intra-op pool
 * (`tensorflow/<n>-thread`, beside PyTorch on the same n threads).
 */
import type { BackendInfo } from '../ml/backend.js';

export interface CaseThreads {
  /** Suffix of the case's row names, e.g. `1-core` or `tensorflow/2-thread`. */
  readonly label: string;
  /** Threads for the PyTorch baseline beside it. */
  readonly threads: number;
}

export function caseThreads(backend: Pick<BackendInfo, 'name' | 'threads'>): CaseThreads {
  if (backend.name === 'tensorflow') return { label: `tensorflow/${backend.threads}-thread`, threads: backend.threads };
  return { label: '1-core', threads: 1 };
}
