/**
 * SimCLR-style contrastive pretraining of a zoo model as an encoder, from
 * unlabeled images: two augmented views per image, the encoder's output (its
 * last layer sized `representationDim`) through a two-layer projection head,
 * NT-Xent between the views' projections. The projection head is thrown
 * away afterwards; `transferWeights` moves the encoder's weights into a
 * student of the same family, all but its differently shaped classifier.
 *
 * Determinism as in ml/train: initial weights keyed by the seed, each
 * epoch's order by (seed, stream, epoch), each batch's views by (seed,
 * stream, 'views', epoch, batch).
 */
import * as tf from '@tensorflow/tfjs';
import { BadInputError } from '../../core/errors.js';
import { Rng } from '../../core/random.js';
import { batchesPerEpoch, type BatchSource } from '../../schemas/batches.js';
import { OptimizerConfigSchema, type OptimizerConfig } from '../../schemas/training.js';
import { disposeBatch } from '../data/dispose.js';
import type { Model } from '../models/model.js';
import { buildModel } from '../models/registry.js';
import { applyStateUpdates, Dense, disposeStateUpdates, type StateUpdate } from '../nn/layers.js';
import { ParamRegistry, ParamScope } from '../nn/params.js';
import { createOptimizer } from '../train/optimizers.js';
import { ntXentLoss } from './nt-xent.js';
import { contrastiveViews, ViewAugmentSchema, type ViewAugmentInput } from './views.js';

export interface ContrastiveOptions {
  /** Zoo model used as the encoder (`cnn`, `resnet20`, `vit-tiny`, ...). */
  readonly encoder: string;
  /** Width of the encoder's output, the representation a probe or student builds on. */
  readonly representationDim?: number;
  /** Hidden and output width of the projection head. */
  readonly projectionDims?: readonly [number, number];
  readonly temperature?: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly seed: number;
  /** Names the data stream: keys shuffling and views. */
  readonly stream: string;
  readonly optimizer?: Partial<OptimizerConfig>;
  readonly augment?: ViewAugmentInput;
  readonly source: BatchSource;
  readonly signal?: AbortSignal;
  readonly onStep?: (progress: { readonly epoch: number; readonly step: number; readonly loss: number }) => void;
}

export interface ContrastiveResult {
  /** The pretrained encoder; the caller disposes it. */
  readonly encoder: Model;
  /** Mean NT-Xent loss of each epoch. */
  readonly epochLosses: readonly number[];
  readonly steps: number;
  readonly completed: boolean;
}

export async function pretrainContrastive(options: ContrastiveOptions): Promise<ContrastiveResult> {
  const { source, batchSize, epochs, seed, stream } = options;
  const representationDim = options.representationDim ?? 128;
  const [hidden, projected] = options.projectionDims ?? [128, 64];
  const temperature = options.temperature ?? 0.5;
  const augment = ViewAugmentSchema.parse(options.augment ?? {});
  const optimizerConfig = OptimizerConfigSchema.parse({ name: 'adamw', lr: 1e-3, weightDecay: 1e-4, ...options.optimizer });
  if (batchSize < 2) throw new BadInputError('contrastive pretraining', `batchSize must be at least 2 (each image needs negatives), got ${batchSize}`);
  const stepsPerEpoch = batchesPerEpoch(source.size, batchSize, true);
  if (stepsPerEpoch === 0) throw new BadInputError('contrastive pretraining', `batchSize ${batchSize} exceeds the ${source.size} images`);

  const encoder = buildModel(options.encoder, { inputShape: source.shape, numClasses: representationDim, seed });
  const headParams = new ParamRegistry(seed);
  const scope = new ParamScope(headParams, 'projection');
  const fc1 = new Dense(scope.child('fc1'), { inFeatures: representationDim, outFeatures: hidden, activation: 'relu' });
  const fc2 = new Dense(scope.child('fc2'), { inFeatures: hidden, outFeatures: projected });
  const trainable = [...encoder.params.trainable(), ...headParams.trainable()];
  const optimizer = createOptimizer(optimizerConfig, trainable);
  const project = (x: tf.Tensor4D, updates: StateUpdate[]) => fc2.apply(fc1.apply(encoder.apply(x, { training: true, stateUpdates: updates })));
  const epochLosses: number[] = [];
  let step = 0;
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      let sum = 0;
      let batchIndex = 0;
      for await (const batch of source.batches({ epoch, batchSize, seed, stream, shuffle: true, dropLast: true })) {
        const updates: StateUpdate[] = [];
        let views: [tf.Tensor4D, tf.Tensor4D] | undefined;
        let both: tf.Tensor4D | undefined;
        try {
          views = contrastiveViews(batch.x, augment, Rng.keyed(seed, stream, 'views', epoch, batchIndex));
          const [a, b] = views;
          // Both views in one forward pass: batch norm sees the 2N images together, as in SimCLR.
          both = tf.concat([a, b], 0);
          const pair = both;
          const { value, grads } = tf.variableGrads(() => {
            const z = project(pair, updates);
            const [z1, z2] = tf.split(z, 2, 0) as [tf.Tensor2D, tf.Tensor2D];
            return ntXentLoss(z1, z2, temperature);
          }, trainable.map((p) => p.variable));
          const named = new Map(trainable.map((p) => [p.name, grads[p.variable.name]!] as const));
          optimizer.apply(named, optimizerConfig.lr, step + 1);
          applyStateUpdates(updates.splice(0));
          tf.dispose(Object.values(grads));
          const loss = value.dataSync()[0]!;
          value.dispose();
          sum += loss;
          step += 1;
          options.onStep?.({ epoch, step, loss });
        } finally {
          disposeStateUpdates(updates);
          if (views) tf.dispose(views);
          both?.dispose();
          disposeBatch(batch);
        }
        batchIndex += 1;
        if (options.signal?.aborted) return { encoder, epochLosses, steps: step, completed: false };
      }
      epochLosses.push(sum / stepsPerEpoch);
    }
    return { encoder, epochLosses, steps: step, completed: true };
  } catch (error) {
    encoder.dispose();
    throw error;
  } finally {
    optimizer.dispose();
    headParams.dispose();
  }
}

/**
 * Copies every variable of `from` into the variable of `to` with the same
 * name and shape (a pretrained encoder into a student of the same family);
 * returns the names left as they were (the classifier, whose width differs).
 */
export function transferWeights(from: Model, to: Model): string[] {
  const skipped: string[] = [];
  for (const { name, variable } of to.params.all()) {
    const source = from.params.get(name);
    if (source && source.variable.shape.join('x') === variable.shape.join('x')) variable.assign(source.variable);
    else skipped.push(name);
  }
  return skipped;
}
