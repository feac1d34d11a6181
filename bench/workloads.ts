/**
 * The work the benchmarks time, built from the project's own pieces: a
 * registry model, the training step of ml/train (computeGradients then
 * applyGradients, SGD with momentum 0.9 and weight decay 5e-4, the `ceiling`
 * cross-entropy loss) on a batch that is already in tensors, and the
 * inference forward pass used for labeling.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../core/random.js';
import { studentLoss } from '../ml/losses/index.js';
import type { Model } from '../ml/models/model.js';
import { buildModel } from '../ml/models/registry.js';
import { applyGradients, computeGradients, createOptimizer, type BatchLoss, type Optimizer } from '../ml/train/index.js';
import { LossConfigSchema, OptimizerConfigSchema, type LossConfig, type OptimizerConfig } from '../schemas/training.js';
import type { ImageShape } from '../ml/data/batches.js';

export const NETWORKS: Readonly<Record<string, { readonly shape: ImageShape; readonly classes: number }>> = {
  cnn: { shape: [28, 28, 1], classes: 10 },
  resnet20: { shape: [32, 32, 3], classes: 10 },
};

export const TRAIN_BATCH = 64;
export const FORWARD_BATCH = 256;
export const OPTIMIZER: OptimizerConfig = OptimizerConfigSchema.parse({ name: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 5e-4 });
export const LOSS: LossConfig = LossConfigSchema.parse({ method: 'ceiling' });
const batchLoss: BatchLoss = (inputs) => studentLoss(LOSS, inputs);

export function networkShape(name: string): ImageShape {
  const net = NETWORKS[name];
  if (!net) throw new Error(`bench: unknown network ${name}; known: ${Object.keys(NETWORKS).join(', ')}`);
  return net.shape;
}

/** Normal(0, 1) images and uniform labels, keyed by (seed, name), as plain arrays. */
export function syntheticBatch(name: string, batch: number, seed: number): { images: Float32Array; labels: Int32Array } {
  const [h, w, c] = networkShape(name);
  const rng = Rng.keyed(seed, 'bench', name, batch);
  const images = new Float32Array(batch * h * w * c);
  for (let i = 0; i < images.length; i++) images[i] = rng.normal();
  const labels = new Int32Array(batch);
  for (let i = 0; i < batch; i++) labels[i] = rng.int(NETWORKS[name]!.classes);
  return { images, labels };
}

export interface TrainingWorkload {
  readonly model: Model;
  readonly optimizer: Optimizer;
  /** One optimizer step on the fixed batch. */
  step(): void;
  dispose(): void;
}

export function trainingWorkload(name: string, batch = TRAIN_BATCH, seed = 0): TrainingWorkload {
  const shape = networkShape(name);
  const model = buildModel(name, { inputShape: shape, numClasses: NETWORKS[name]!.classes, seed });
  const optimizer: Optimizer = createOptimizer(OPTIMIZER, model.params.trainable());
  const data = syntheticBatch(name, batch, seed);
  const x = tf.tensor4d(data.images, [batch, ...shape]);
  const labels = tf.tensor1d(data.labels, 'int32');
  let steps = 0;
  return {
    model,
    optimizer,
    step() {
      const computed = computeGradients(model, batchLoss, { x, labels }, 0);
      steps += 1;
      applyGradients(optimizer, computed, OPTIMIZER.lr, steps);
    },
    dispose() {
      tf.dispose([x, labels]);
      optimizer.dispose();
      model.dispose();
    },
  };
}

export interface ForwardWorkload {
  /** Logits of the fixed batch, read back to JavaScript (as labeling does). */
  run(): Float32Array;
  dispose(): void;
}

export function forwardWorkload(name: string, batch = FORWARD_BATCH, seed = 0): ForwardWorkload {
  const shape = networkShape(name);
  const model = buildModel(name, { inputShape: shape, numClasses: NETWORKS[name]!.classes, seed });
  const x = tf.tensor4d(syntheticBatch(name, batch, seed + 1).images, [batch, ...shape]);
  return {
    run() {
      const logits = tf.tidy(() => model.apply(x, { training: false }));
      const values = logits.dataSync() as Float32Array;
      logits.dispose();
      return values;
    },
    dispose() {
      x.dispose();
      model.dispose();
    },
  };
}
