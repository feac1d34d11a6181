import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertResumeIsExact, CNN_NESTEROV_RUN, CNN_NESTEROV_STOP, trainInChild } from './helpers/resume-check.js';
import type { RunSpec } from './helpers/train-resume.js';

test('wasm: stop mid-epoch, resume in a fresh process, bit-identical weights (SGD Nesterov, crop+flip, warm-up)', async () => {
  await assertResumeIsExact({ ...CNN_NESTEROV_RUN, backend: 'wasm', stream: 'resume-test' }, CNN_NESTEROV_STOP.stopAt, CNN_NESTEROV_STOP.totalSteps);
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

const ADAPTCONF: Omit<RunSpec, 'out'> = {
  backend: 'wasm',
  stream: 'resume-test-adaptconf',
  data: { size: 32, shape: [8, 8, 1], numClasses: 4, seed: 11, teacher: true },
  config: {
    model: 'cnn-small',
    epochs: 2,
    batchSize: 8,
    seed: 12,
    optimizer: { name: 'sgd', lr: 0.05 },
    loss: { method: 'adaptconf', theta: 0.5 },
  },
};

test('wasm: adaptconf resumes bit-identically with the same per-example alpha histograms', async () => {
  await assertResumeIsExact(ADAPTCONF, 3, 8);
});

test('reading the per-example alpha back changes no weight', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'w2s-trace-'));
  try {
    const traced = await trainInChild(ADAPTCONF, dir, 'traced');
    const hidden = await trainInChild({ ...ADAPTCONF, hidePerExample: true }, dir, 'hidden');
    assert.ok(traced.model.equals(hidden.model), 'weights are bit-identical whether or not alpha is read per example');
    const histograms = traced.result.trace.alpha;
    assert.equal(histograms.length, 2, 'one alpha histogram per epoch');
    for (const h of histograms) assert.equal(h.counts.reduce((a, b) => a + b, 0), 4 * 8, 'every example of the epoch counted once');
    // Per example, alpha spreads over several bins; the batch mean alone would fill one bin per batch.
    assert.ok(histograms.some((h) => h.counts.filter((c) => c > 0).length > 4), `per-example alpha spreads: ${JSON.stringify(histograms)}`);
    assert.deepEqual(traced.result.trace.curve.map((p) => p.step), [1, 2, 3, 4, 5, 6, 7, 8], 'a short training gets one curve point per step');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
