/**
 * The backend under test (W2S_BACKEND, else the best installed) against a
 * reference backend: wasm, or cpu when wasm is the one under test. A few
 * training steps give the same losses and weights within float tolerance,
 * and a checkpoint written on either resumes on the other. Each run is its
 * own process, so every backend starts from nothing but the bytes.
 * npm test runs it in the native pass (tensorflow against wasm).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../../ml/backend.js';
import { decodeTensorFile } from '../../ml/nn/tensor-file.js';
import { CNN_NESTEROV_RUN } from './helpers/resume-check.js';
import type { RunResult, RunSpec } from './helpers/train-resume.js';

const run = promisify(execFile);
const helper = fileURLToPath(new URL('./helpers/train-resume.js', import.meta.url));

interface Trained {
  readonly result: RunResult;
  readonly weights: ReadonlyMap<string, Float32Array>;
  readonly checkpoint: string;
}

async function trainOn(backend: string, spec: Omit<RunSpec, 'out' | 'backend'>, dir: string, name: string): Promise<Trained> {
  const out = join(dir, name);
  await mkdir(out);
  await run(process.execPath, [helper, JSON.stringify({ ...spec, backend, out })], { env: { ...process.env, W2S_BACKEND: '', W2S_THREADS: '1' } });
  const result = JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as RunResult;
  assert.equal(result.backend, backend, `${name} ran on ${backend}`);
  const file = decodeTensorFile(new Uint8Array(await readFile(join(out, 'model.bin'))), `${name} weights`);
  return { result, weights: new Map([...file.tensors].map(([key, record]) => [key, record.values])), checkpoint: join(out, 'checkpoint.bin') };
}

/** Largest |a - b| / (1 + |b|) over all weights and BN statistics. */
function weightGap(a: Trained, b: Trained): number {
  assert.deepEqual([...a.weights.keys()].sort(), [...b.weights.keys()].sort());
  let gap = 0;
  for (const [name, values] of a.weights) {
    const other = b.weights.get(name)!;
    assert.equal(values.length, other.length, name);
    for (let i = 0; i < values.length; i++) gap = Math.max(gap, Math.abs(values[i]! - other[i]!) / (1 + Math.abs(other[i]!)));
  }
  return gap;
}

function losses(trained: Trained): number[] {
  return trained.result.history.map((epoch) => (epoch as { loss: { total: number } }).loss.total);
}

function assertClose(actual: number[], expected: number[], tolerance: number, what: string): void {
  assert.equal(actual.length, expected.length, what);
  actual.forEach((value, i) => assert.ok(Math.abs(value - expected[i]!) <= tolerance * (1 + Math.abs(expected[i]!)), `${what}, epoch ${i + 1}: ${value} vs ${expected[i]}`));
}

// Float32 sums in a different order (threads, blocking, fused kernels) differ
// in the last bits; on this small CNN a dozen SGD steps keep that far under
// these bounds, while a wrong padding, gradient, loss or optimizer slot moves
// them by orders of magnitude more. (A ResNet-20 on batches of 8 amplifies
// last-bit differences to ~1e-3 within a few steps even between wasm and cpu,
// so it cannot tell a bug from rounding; models.test compares its gradients.)
// Each run uses one native thread: with two, TensorFlow splits sums differently
// and batch norm on batches of 8 amplifies that to a 0.6% loss gap and an 8%
// weight gap after 12 steps (measured), which would hide what this test is for,
// the backends' arithmetic; with one, losses agree to 1e-7 and weights to 1e-4.
const LOSS_TOLERANCE = 1e-5;
const WEIGHT_TOLERANCE = 1e-4;

// The resume tests' CNN run with a teacher and AdaptConf, on data and weights of its own seeds.
const SPEC: Omit<RunSpec, 'out' | 'backend'> = {
  stream: 'cross-backend',
  data: { ...CNN_NESTEROV_RUN.data, seed: 11, teacher: true },
  config: { ...CNN_NESTEROV_RUN.config, seed: 12, loss: { method: 'adaptconf' } },
};
const STOP_AT = 7;

test('training steps and checkpoints agree across backends (CNN with batch norm, SGD Nesterov, crop+flip, AdaptConf)', async () => {
  const tested = (await initBackend()).name;
  const reference = tested === 'wasm' ? 'cpu' : 'wasm';
  const dir = await mkdtemp(join(tmpdir(), 'w2s-cross-backend-'));
  try {
    const onTested = await trainOn(tested, SPEC, dir, 'tested');
    const onReference = await trainOn(reference, SPEC, dir, 'reference');
    assert.equal(onTested.result.stepsRun, 12);
    assertClose(losses(onTested), losses(onReference), LOSS_TOLERANCE, `mean loss, ${tested} vs ${reference}`);
    const gap = weightGap(onTested, onReference);
    assert.ok(gap < WEIGHT_TOLERANCE, `weights after 12 steps, ${tested} vs ${reference}: largest relative gap ${gap}`);

    // Stop on one backend, resume on the other, both ways round.
    for (const [from, to] of [
      [tested, reference],
      [reference, tested],
    ] as const) {
      const stopped = await trainOn(from, { ...SPEC, stopAtStep: STOP_AT }, dir, `stopped-${from}-for-${to}`);
      assert.equal(stopped.result.completed, false);
      const resumed = await trainOn(to, { ...SPEC, resumeFrom: stopped.checkpoint }, dir, `resumed-${to}-from-${from}`);
      assert.equal(resumed.result.completed, true);
      assert.equal(resumed.result.stepsRun, 12 - STOP_AT, 'only the remaining steps are trained');
      const straight = to === tested ? onTested : onReference;
      assertClose(losses(resumed), losses(straight), LOSS_TOLERANCE, `mean loss, resumed on ${to} from ${from} vs straight on ${to}`);
      const resumedGap = weightGap(resumed, straight);
      assert.ok(resumedGap < WEIGHT_TOLERANCE, `weights, resumed on ${to} from a ${from} checkpoint vs straight on ${to}: largest relative gap ${resumedGap}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
