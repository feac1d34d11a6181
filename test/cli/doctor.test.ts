/**
 * `w2s doctor` and the GPU requirement, run as the shipped CLI in child
 * processes. What the report must say is derived from this machine: the
 * packages that resolve here, the GPUs the driver or nvidia-smi show.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { DoctorReport } from '../../cli/commands/doctor.js';
import { findGpus, gpuRequirementProblem } from '../../ml/gpus.js';

const cli = fileURLToPath(new URL('../../bin/w2s.js', import.meta.url));
const workerMain = fileURLToPath(new URL('../../workers/main.js', import.meta.url));

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function runNode(args: string[], env: Record<string, string | undefined>): Promise<Outcome> {
  const merged: NodeJS.ProcessEnv = { ...process.env };
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete merged[key];
    else merged[key] = value;
  }
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, args, { env: merged, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

function resolves(pkg: string): boolean {
  try {
    createRequire(import.meta.url).resolve(`${pkg}/package.json`);
    return true;
  } catch {
    return false;
  }
}

test('doctor reports the installed backends, the one chosen and why, and the thread counts', async () => {
  const { code, stdout } = await runNode([cli, 'doctor', '--json'], { W2S_BACKEND: 'wasm', W2S_THREADS: '3', W2S_REQUIRE_GPU: undefined });
  assert.equal(code, 0);
  const report = JSON.parse(stdout) as DoctorReport;
  for (const p of report.packages) assert.equal(p.version !== undefined, resolves(p.package), `${p.package} reported ${p.version ? 'installed' : 'missing'}`);
  assert.deepEqual(
    report.packages.map((p) => p.package),
    ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-cpu'],
  );
  assert.equal(report.requested, 'wasm');
  assert.equal(report.active?.name, 'wasm');
  assert.equal(report.active?.reason, 'W2S_BACKEND');
  assert.deepEqual(report.threads, { cores: availableParallelism(), nativeIntraOp: 3, wasm: 1 });
  assert.equal(report.gpuProblem, undefined, 'no GPU was required');

  const text = await runNode([cli, 'doctor'], { W2S_BACKEND: 'wasm', W2S_THREADS: undefined });
  assert.equal(text.code, 0);
  assert.match(text.stdout, /^active: wasm from @tensorflow\/tfjs-backend-wasm .*chosen by W2S_BACKEND=wasm$/m);
  assert.match(text.stdout, new RegExp(`^threads: ${availableParallelism()} cores available; native intra-op ${availableParallelism()} `, 'm'));
});

test('without W2S_BACKEND doctor starts the first backend that loads, native when installed', async () => {
  const { code, stdout } = await runNode([cli, 'doctor', '--json'], { W2S_BACKEND: undefined, W2S_THREADS: '1' });
  assert.equal(code, 0);
  const report = JSON.parse(stdout) as DoctorReport;
  const nativeInstalled = report.packages.some((p) => p.backend === 'tensorflow' && p.version !== undefined);
  assert.equal(report.active?.name, nativeInstalled ? 'tensorflow' : 'wasm');
  assert.equal(report.active?.reason, 'first available');
  if (report.active?.name === 'tensorflow') {
    assert.equal(report.active.threads, 1, 'W2S_THREADS sizes the intra-op pool');
    assert.match(report.active.device, /1 intra-op thread\b/);
  }
});

test('a bad W2S_THREADS is named in the report and a backend that cannot start fails the doctor', async () => {
  const bad = await runNode([cli, 'doctor', '--json'], { W2S_BACKEND: 'wasm', W2S_THREADS: 'many' });
  assert.equal(bad.code, 0, 'wasm does not use it');
  assert.match((JSON.parse(bad.stdout) as DoctorReport).threads.nativeIntraOp.toString(), /^W2S_THREADS=many: expected a positive integer/);
  const unknown = await runNode([cli, 'doctor'], { W2S_BACKEND: 'webgpu' });
  assert.equal(unknown.code, 1);
  assert.equal(unknown.stderr.trim(), 'w2s doctor: no backend: W2S_BACKEND=webgpu: unknown backend; expected one of tensorflow, wasm, cpu');
});

test('a required GPU that is not usable stops doctor and the worker with one line', async () => {
  const gpus = await findGpus();
  // What this machine can offer: the CUDA build loads only when tfjs-node-gpu is installed.
  const expected = gpuRequirementProblem(gpus, resolves('@tensorflow/tfjs-node-gpu') ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node');
  assert.ok(expected, 'this test expects a machine without a usable GPU (the GPU image covers the other case)');

  const flag = await runNode([cli, 'doctor', '--require-gpu'], { W2S_BACKEND: undefined });
  assert.equal(flag.code, 1);
  assert.equal(flag.stderr.trim(), `w2s doctor: ${expected}`);
  const env = await runNode([cli, 'doctor'], { W2S_BACKEND: undefined, W2S_REQUIRE_GPU: '1' });
  assert.equal(env.code, 1);
  assert.equal(env.stderr.trim(), `w2s doctor: ${expected}`);

  // The worker checks before it connects: no Temporal server is listening on port 1.
  const worker = await runNode([cli, 'worker', '--require-gpu', '--address', '127.0.0.1:1'], { W2S_BACKEND: undefined });
  assert.notEqual(worker.code, 0);
  assert.ok(worker.stderr.includes(expected), `w2s worker says why: ${worker.stderr}`);
  const deployed = await runNode([workerMain], { W2S_BACKEND: undefined, W2S_REQUIRE_GPU: '1', W2S_QUEUES: 'w2s-gpu', TEMPORAL_ADDRESS: '127.0.0.1:1' });
  assert.equal(deployed.code, 1);
  assert.ok(deployed.stderr.includes(expected), `the deployed worker logs why: ${deployed.stderr}`);
  assert.ok(!deployed.stderr.includes('worker polling'), 'it never polls');
});
