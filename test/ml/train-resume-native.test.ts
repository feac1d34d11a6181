/**
 * Bit-identical resume on the native backend (libtensorflow), at the thread
 * count a worker uses by default: a checkpoint written mid-epoch and resumed
 * in a fresh process ends at the weights of a run straight through. Runs in
 * the native pass of test/run-passes.sh, where tfjs-node is installed.
 */
import { test } from 'node:test';
import { assertResumeIsExact, CNN_NESTEROV_RUN, CNN_NESTEROV_STOP } from './helpers/resume-check.js';

test('tensorflow: stop mid-epoch, resume in a fresh process, bit-identical weights (SGD Nesterov, crop+flip, warm-up)', async () => {
  await assertResumeIsExact({ ...CNN_NESTEROV_RUN, backend: 'tensorflow', stream: 'resume-test-native' }, CNN_NESTEROV_STOP.stopAt, CNN_NESTEROV_STOP.totalSteps);
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
