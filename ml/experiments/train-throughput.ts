/**
 * Images per second of full training steps (forward, loss, backward,
 * optimizer update) on random data, for one model and batch size:
 *
 *   node dist/ml/experiments/train-throughput.js --model cnn --shape 28x28x1 --batch 64 --steps 10
 *
 * W2S_BACKEND picks the backend. Prints one JSON line.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend.js';
import { studentLoss } from '../losses/index.js';
import { buildModel } from '../models/registry.js';
import { LossConfigSchema, OptimizerConfigSchema } from '../../schemas/training.js';
import { createOptimizer } from '../train/optimizers.js';
import { applyGradients, computeGradients } from '../train/step.js';

export interface ThroughputOptions {
  readonly model: string;
  readonly shape: readonly [number, number, number];
  readonly batchSize: number;
  readonly steps: number;
  readonly warmupSteps?: number;
  readonly numClasses?: number;
}

/** Times `steps` training steps after `warmupSteps` untimed ones. */
export function measureTrainThroughput(options: ThroughputOptions): { imagesPerSecond: number; msPerStep: number } {
  const { shape, batchSize, steps } = options;
  const numClasses = options.numClasses ?? 10;
  const model = buildModel(options.model, { inputShape: shape, numClasses, seed: 0 });
  const optimizer = createOptimizer(OptimizerConfigSchema.parse({ name: 'sgd' }), model.params.trainable());
  const loss = LossConfigSchema.parse({ method: 'ceiling' });
  const x = tf.randomNormal([batchSize, ...shape], 0, 1, 'float32', 1) as tf.Tensor4D;
  const labels = tf.randomUniform([batchSize], 0, numClasses, 'int32', 2) as tf.Tensor1D;
  const step = (n: number) => applyGradients(optimizer, computeGradients(model, (inputs) => studentLoss(loss, inputs), { x, labels }, 0), 0.01, n);
  try {
    for (let i = 0; i < (options.warmupSteps ?? 2); i++) step(i + 1);
    const started = performance.now();
    for (let i = 0; i < steps; i++) step(i + 1);
    const msPerStep = (performance.now() - started) / steps;
    return { imagesPerSecond: (1000 * batchSize) / msPerStep, msPerStep };
  } finally {
    tf.dispose([x, labels]);
    optimizer.dispose();
    model.dispose();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', default: 'cnn' },
      shape: { type: 'string', default: '28x28x1' },
      batch: { type: 'string', default: '64' },
      steps: { type: 'string', default: '10' },
    },
  });
  const shape = values.shape.split('x').map(Number);
  if (shape.length !== 3 || shape.some((d) => !Number.isInteger(d) || d < 1)) throw new Error(`--shape ${values.shape}: expected HxWxC, e.g. 32x32x3`);
  const backend = await initBackend();
  const options = { model: values.model, shape: shape as [number, number, number], batchSize: Number(values.batch), steps: Number(values.steps) };
  const result = measureTrainThroughput(options);
  console.log(JSON.stringify({ ...options, backend: backend.name, device: backend.device, ...result }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
