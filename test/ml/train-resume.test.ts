import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { RunResult, RunSpec } from './helpers/train-resume.js';

const run = promisify(execFile);
const helper = fileURLToPath(new URL('./helpers/train-resume.js', import.meta.url));

async function trainInChild(spec: Omit<RunSpec, 'out'>, dir: string, name: string): Promise<{ result: RunResult; model: Buffer; checkpoint: Buffer | undefined }> {
  const out = join(dir, name);
  await import('node:fs/promises').then((fs) => fs.mkdir(out));
  await run(process.execPath, [helper, JSON.stringify({ ...spec, out })], { env: { ...process.env, W2S_BACKEND: '' } });
  const result = JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as RunResult;
  const checkpoint = await readFile(join(out, 'checkpoint.bin')).catch(() => undefined);
  return { result, model: await readFile(join(out, 'model.bin')), checkpoint };
}

/** Train straight through; train, stop at `stopAt` and resume in a fresh process; compare. */
async function assertResumeIsExact(spec: Omit<RunSpec, 'out'>, stopAt: number, totalSteps: number): Promise<void> {
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
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('wasm: stop mid-epoch, resume in a fresh process, bit-identical weights (SGD Nesterov, crop+flip, warm-up)', async () => {
  await assertResumeIsExact(
    {
      backend: 'wasm',
      stream: 'resume-test',
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
    },
    8,
    12,
  );
});

test('wasm: resume with AdamW slots and a ResNet', async () => {
  await assertResumeIsExact(
    {
      backend: 'wasm',
      stream: 'resume-test-adamw',
      data: { size: 24, shape: [8, 8, 3], numClasses: 3, seed: 4, teacher: true },
      config: {
        model: 'resnet20',
        epochs: 2,
        batchSize: 6,
        seed: 6,
        optimizer: { name: 'adamw', lr: 0.01, weightDecay: 0.05 },
        augment: { cropPadding: 1, flip: true },
        loss: { method: 'hard' },
      },
    },
    3,
    8,
  );
});

test('wasm: vit-tiny resumes bit-identically (AdamW, crop+flip, cosine with warm-up)', async () => {
  await assertResumeIsExact(
    {
      backend: 'wasm',
      stream: 'resume-test-vit',
      data: { size: 24, shape: [12, 12, 1], numClasses: 3, seed: 9 },
      config: {
        model: 'vit-tiny',
        epochs: 2,
        batchSize: 6,
        seed: 10,
        optimizer: { name: 'adamw', lr: 0.002, weightDecay: 0.05 },
        schedule: { name: 'cosine', warmupEpochs: 0.5 },
        augment: { cropPadding: 1, flip: true },
        loss: { method: 'ceiling' },
      },
    },
    3,
    8,
  );
});

// The cpu backend's convolution gradients are plain JavaScript loops: a small model keeps this quick.
test('cpu: stop, resume in a fresh process, bit-identical weights (Adam)', async () => {
  await assertResumeIsExact(
    {
      backend: 'cpu',
      stream: 'resume-test-cpu',
      data: { size: 24, shape: [8, 8, 1], numClasses: 3, seed: 7 },
      config: {
        model: 'cnn-small',
        epochs: 2,
        batchSize: 4,
        seed: 8,
        optimizer: { name: 'adam', lr: 0.01 },
        augment: { cropPadding: 1, flip: false },
        loss: { method: 'ceiling' },
      },
    },
    5,
    12,
  );
});
