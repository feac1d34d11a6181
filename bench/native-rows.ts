/**
 * The native backend's rows. libtensorflow sizes its thread pool once per
 * process, so each thread count runs in a child bench process
 * (`W2S_BACKEND=tensorflow W2S_THREADS=<n>`) on the single-process training
 * and forward cases; its rows join the parent's table, where the same work
 * on wasm and PyTorch sits.
 */
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { installedVersion, NATIVE_PACKAGES } from '../ml/backend.js';
import type { BenchResult } from './types.js';

/** The cases a native child runs: everything else measures orchestration, storage or wasm replicas. */
export const NATIVE_CASES = ['train/cnn/1-core', 'train/resnet20/1-core', 'forward/cnn/1-core', 'forward/resnet20/1-core'] as const;

/** Whether `@tensorflow/tfjs-node(-gpu)` resolves here (whether its addon loads is the child's to find out). */
export function nativeInstalled(): boolean {
  return NATIVE_PACKAGES.some((pkg) => installedVersion(pkg) !== undefined);
}

/** 1 thread and every core, once each; one entry when the machine has one core. */
export function nativeThreadCounts(cores = availableParallelism()): number[] {
  return [...new Set([1, cores])];
}

export interface ChildReport {
  readonly backend: { readonly device: string };
  readonly cases: BenchResult[];
  readonly skipped: Array<{ readonly name: string; readonly reason: string }>;
}

/** Runs the bench in a child on the native backend with `threads` intra-op threads; its JSON report. */
export async function runNativeChild(threads: number, cases: readonly string[], repeats: number, quick: boolean, log: (line: string) => void): Promise<ChildReport> {
  const main = fileURLToPath(new URL('./main.js', import.meta.url));
  const args = [main, '--json', '--only', cases.join(','), '--repeats', String(repeats), ...(quick ? ['--quick'] : [])];
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, W2S_BACKEND: 'tensorflow', W2S_THREADS: String(threads) },
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) log(`  [tensorflow x${threads}] ${line}`);
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`native bench child (W2S_THREADS=${threads}) exited with ${code}`);
  return JSON.parse(stdout) as ChildReport;
}
