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
 * stream, 'views', epoch, batch); a run resumed from a checkpoint
 * (./checkpoint.ts) ends with the same weights, bit for bit, as one that
 * never stopped.
 */
import * as tf from '@tensorflow/tfjs';
import { BadInputError } from '../../core/errors.js';
import { Rng } from '../../core/random.js';
import { batchesPerEpoch, type BatchSource } from '../data/batches.js';
import { OptimizerConfigSchema, type OptimizerConfig } from '../../schemas/training.js';
import { disposeBatch } from '../data/dispose.js';
import type { Model } from '../models/model.js';
import { buildModel } from '../models/registry.js';
import { applyStateUpdates, Dense, disposeStateUpdates, type StateUpdate } from '../nn/layers.js';
import { ParamRegistry, ParamScope } from '../nn/params.js';
import { checkLossFinite, checkWeightsFinite, type DivergenceContext } from '../train/diverged.js';
import { createOptimizer } from '../train/optimizers.js';
import { encodeContrastiveCheckpoint, restoreContrastiveCheckpoint, type ContrastivePosition } from './checkpoint.js';
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
  /** A checkpoint of the same pretraining (same settings) to continue from. */
  readonly resumeFrom?: Uint8Array;
  /** Receives checkpoints every `checkpointEverySteps` steps, when stopped by the signal, and at the end. */
  readonly onCheckpoint?: (bytes: Uint8Array, at: ContrastivePosition) => void | Promise<void>;
  readonly checkpointEverySteps?: number;
}

export interface ContrastiveResult {
  /** The pretrained encoder; the caller disposes it. */
  readonly encoder: Model;
  /** Mean NT-Xent loss of each epoch. */
  readonly epochLosses: readonly number[];
  /** Optimizer steps done over the whole pretraining (a resumed run counts the steps before it too). */
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
  const settings = { encoder: options.encoder, inputShape: source.shape, size: source.size, representationDim, projectionDims: [hidden, projected], temperature, epochs, batchSize, seed, stream, optimizer: optimizerConfig, augment };
  let epochLosses: number[] = [];
  let position: ContrastivePosition = { step: 0, epoch: 0, batchInEpoch: 0 };
  let sum = 0;
  const divergence = (): DivergenceContext => ({ step: position.step, totalSteps: stepsPerEpoch * epochs, epoch: position.epoch, epochs, lr: optimizerConfig.lr, baseLr: optimizerConfig.lr, method: 'simclr' });
  const checkpoint = async () => {
    if (!options.onCheckpoint) return;
    // As in training (ml/train/diverged.ts): no checkpoint of non-finite weights.
    checkWeightsFinite([...encoder.params.all(), ...headParams.all()], divergence());
    await options.onCheckpoint(encodeContrastiveCheckpoint(encoder, headParams.all(), optimizer.slots, settings, { position, epochLosses, lossSum: sum }), position);
  };
  try {
    if (options.resumeFrom) {
      const state = restoreContrastiveCheckpoint(options.resumeFrom, encoder, headParams.all(), optimizer.slots, settings);
      ({ position } = state);
      epochLosses = [...state.epochLosses];
      sum = state.lossSum;
    }
    for (let epoch = position.epoch; epoch < epochs; epoch++) {
      let batchIndex = position.batchInEpoch;
      for await (const batch of source.batches({ epoch, batchSize, seed, stream, shuffle: true, dropLast: true, startBatch: batchIndex })) {
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
          optimizer.apply(named, optimizerConfig.lr, position.step + 1);
          applyStateUpdates(updates.splice(0));
          tf.dispose(Object.values(grads));
          const loss = value.dataSync()[0]!;
          value.dispose();
          sum += loss;
          position = { step: position.step + 1, epoch, batchInEpoch: batchIndex + 1 };
          checkLossFinite({ total: loss }, divergence());
          options.onStep?.({ epoch, step: position.step, loss });
        } finally {
          disposeStateUpdates(updates);
          if (views) tf.dispose(views);
          both?.dispose();
          disposeBatch(batch);
        }
        batchIndex += 1;
        if (options.signal?.aborted) {
          await checkpoint();
          return { encoder, epochLosses, steps: position.step, completed: false };
        }
        const every = options.checkpointEverySteps;
        if (every !== undefined && position.step % every === 0 && position.step < stepsPerEpoch * epochs) await checkpoint();
      }
      epochLosses.push(sum / stepsPerEpoch);
      sum = 0;
      position = { step: position.step, epoch: epoch + 1, batchInEpoch: 0 };
    }
    await checkpoint();
    return { encoder, epochLosses, steps: position.step, completed: true };
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
