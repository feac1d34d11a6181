/**
 * Bit-identical resume on the native backend (libtensorflow), at the thread
 * count a worker uses by default: a checkpoint written mid-epoch and resumed
 * in a fresh process ends at the weights of a run straight through. Runs in
 * the native pass of test/run-passes.sh, where tfjs-node is installed.
 */
import { test } from 'node:test';
import { assertResumeIsExact } from './helpers/resume-check.js';

test('tensorflow: stop mid-epoch, resume in a fresh process, bit-identical weights (SGD Nesterov, crop+flip, warm-up)', async () => {
  await assertResumeIsExact(
    {
      backend: 'tensorflow',
      stream: 'resume-test-native',
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

test('tensorflow: resume with AdamW slots, a ResNet and the AdaptConf loss on teacher labels', async () => {
  await assertResumeIsExact(
    {
      backend: 'tensorflow',
      stream: 'resume-test-native-resnet',
      data: { size: 32, shape: [16, 16, 3], numClasses: 4, seed: 11, teacher: true },
      config: {
        model: 'resnet20',
        epochs: 1,
        batchSize: 8,
        seed: 12,
        optimizer: { name: 'adamw', lr: 0.002, weightDecay: 0.01 },
        augment: { cropPadding: 0, flip: false },
        loss: { method: 'adaptconf' },
      },
    },
    2,
    4,
  );
});
