/**
 * Where a training step's time goes, kernel by kernel:
 *
 *   node dist/bench/profile.js [cnn|resnet20] [--steps N] [--forward]
 *
 * Runs the bench workload's step under tf.profile (each kernel timed
 * synchronously by the wasm backend) and prints milliseconds per step for
 * every kernel name, with call counts, GEMM GFLOP/s where it applies, and the
 * share of the step's wall time.
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../ml/backend.js';
import { kernelFlops } from './flops.js';
import { forwardWorkload, trainingWorkload } from './workloads.js';

interface KernelTotal {
  ms: number;
  calls: number;
  flops: number;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { steps: { type: 'string', default: '5' }, forward: { type: 'boolean', default: false } },
  });
  const network = positionals[0] ?? 'cnn';
  const steps = Number(values.steps);
  const backend = await initBackend();
  const run = values.forward ? forwardWorkload(network) : trainingWorkload(network);
  const once = values.forward ? () => void (run as ReturnType<typeof forwardWorkload>).run() : () => (run as ReturnType<typeof trainingWorkload>).step();
  for (let i = 0; i < 2; i++) once();

  const totals = new Map<string, KernelTotal>();
  let wall = 0;
  for (let i = 0; i < steps; i++) {
    const start = performance.now();
    const profile = await tf.profile(once);
    wall += performance.now() - start;
    for (const k of profile.kernels) {
      const total = totals.get(k.name) ?? { ms: 0, calls: 0, flops: 0 };
      total.ms += Number(k.kernelTimeMs);
      total.calls += 1;
      total.flops += kernelFlops(k.name, k.inputShapes as number[][], k.outputShapes as number[][]);
      totals.set(k.name, total);
    }
  }
  // Profiling adds bookkeeping per kernel; time a plain step too.
  const plainStart = performance.now();
  for (let i = 0; i < steps; i++) once();
  const plain = (performance.now() - plainStart) / steps;

  const rows = [...totals].sort((a, b) => b[1].ms - a[1].ms);
  const kernelMs = rows.reduce((sum, [, t]) => sum + t.ms, 0) / steps;
  console.log(`${network} ${values.forward ? 'forward' : 'training step'} on ${backend.name} (${backend.kernels || 'stock kernels'}): ${plain.toFixed(1)} ms per step unprofiled, ${(wall / steps).toFixed(1)} ms profiled, ${kernelMs.toFixed(1)} ms in kernels`);
  console.log(`${'kernel'.padEnd(30)} ${'ms/step'.padStart(8)} ${'calls'.padStart(6)} ${'GFLOP/s'.padStart(8)} ${'share'.padStart(6)}`);
  for (const [name, t] of rows) {
    const ms = t.ms / steps;
    const gflops = t.flops > 0 ? ((t.flops / t.ms) * 1e-6).toFixed(1) : '';
    console.log(`${name.padEnd(30)} ${ms.toFixed(2).padStart(8)} ${(t.calls / steps).toFixed(0).padStart(6)} ${gflops.padStart(8)} ${((100 * ms) / plain).toFixed(1).padStart(5)}%`);
  }
  run.dispose();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
