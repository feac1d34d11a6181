/**
 * Stop a training mid-way, resume it in a fresh process, and compare with a
 * run straight through: every weight, BN statistic and history entry equal.
 * Each run is a child process, so nothing but the checkpoint carries over.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { RunResult, RunSpec } from './train-resume.js';

const run = promisify(execFile);
const helper = fileURLToPath(new URL('./train-resume.js', import.meta.url));

export async function trainInChild(spec: Omit<RunSpec, 'out'>, dir: string, name: string): Promise<{ result: RunResult; model: Buffer; checkpoint: Buffer | undefined }> {
  const out = join(dir, name);
  await mkdir(out);
  await run(process.execPath, [helper, JSON.stringify({ ...spec, out })], { env: { ...process.env, W2S_BACKEND: '' } });
  const result = JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as RunResult;
  const checkpoint = await readFile(join(out, 'checkpoint.bin')).catch(() => undefined);
  return { result, model: await readFile(join(out, 'model.bin')), checkpoint };
}

/** Train straight through; train, stop at `stopAt` and resume in a fresh process; compare. */
export async function assertResumeIsExact(spec: Omit<RunSpec, 'out'>, stopAt: number, totalSteps: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'w2s-resume-'));
  try {
    const straight = await trainInChild(spec, dir, 'straight');
    const first = await trainInChild({ ...spec, stopAtStep: stopAt }, dir, 'first');
    assert.equal(first.result.completed, false);
    assert.equal(first.result.position.step, stopAt);
    assert.ok(first.checkpoint, 'stopping wrote a checkpoint');
    assert.notDeepEqual(first.model, straight.model, 'the stopped run is not yet the trained model');
    const resumed = await trainInChild({ ...spec, resumeFrom: join(dir, 'first', 'checkpoint.bin') }, dir, 'resumed');

    assert.equal(straight.result.backend, spec.backend);
    assert.equal(resumed.result.completed, true);
    assert.equal(straight.result.stepsRun, totalSteps);
    assert.equal(resumed.result.stepsRun, totalSteps - stopAt, 'the resumed run trains only the remaining steps');
    assert.ok(straight.model.equals(resumed.model), 'weights, BN statistics and all: bit-identical');
    assert.deepEqual(resumed.result.history, straight.result.history);
    assert.deepEqual(resumed.result.trace, straight.result.trace, "the report's curves and alpha histograms survive the resume");
    assert.ok(straight.result.trace.curve.length > 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A CNN with SGD Nesterov, a cosine schedule with warm-up and crop+flip,
 * stopped at step 8 of 12 (mid-epoch): the run each backend's resume test
 * starts with.
 */
export const CNN_NESTEROV_RUN: Omit<RunSpec, 'out' | 'backend' | 'stream'> = {
  data: { size: 48, shape: [16, 16, 1], numClasses: 4, seed: 3 },
  config: {
    model: 'cnn',
    epochs: 2,
    batchSize: 8,
    seed: 5,
    optimizer: { name: 'sgd', lr: 0.05, nesterov: true },
    schedule: { name: 'cosine', warmupEpochs: 0.5 },
    augment: { cropPadding: 2, flip: true },
    loss: { method: 'ceiling' },
  },
};
export const CNN_NESTEROV_STOP = { stopAt: 8, totalSteps: 12 } as const;
