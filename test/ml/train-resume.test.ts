import { test } from 'node:test';
import { assertResumeIsExact } from './helpers/resume-check.js';

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
