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
 * stream, 'views', epoch, batch); the loop (./loop.ts) checkpoints, and a
 * run resumed from a checkpoint ends with the same weights, bit for bit, as
 * one that never stopped.
 */
import * as tf from '@tensorflow/tfjs';
import { BadInputError } from '../../core/errors.js';
import { Rng } from '../../core/random.js';
import { OptimizerConfigSchema, type OptimizerConfig } from '../../schemas/training.js';
import type { Model } from '../models/model.js';
import { buildModel } from '../models/registry.js';
import { Dense } from '../nn/layers.js';
import { ParamRegistry, ParamScope } from '../nn/params.js';
import { runPretrainLoop, type PretrainResult, type PretrainRunOptions } from './loop.js';
import { ntXentLoss } from './nt-xent.js';
import { contrastiveViews, ViewAugmentSchema, type ViewAugmentInput } from './views.js';

export interface ContrastiveOptions extends PretrainRunOptions {
  /** Zoo model used as the encoder (`cnn`, `resnet20`, `vit-tiny`, ...). */
  readonly encoder: string;
  /** Width of the encoder's output, the representation a probe or student builds on. */
  readonly representationDim?: number;
  /** Hidden and output width of the projection head. */
  readonly projectionDims?: readonly [number, number];
  readonly temperature?: number;
  readonly optimizer?: Partial<OptimizerConfig>;
  readonly augment?: ViewAugmentInput;
}

export type ContrastiveResult = PretrainResult;

export async function pretrainContrastive(options: ContrastiveOptions): Promise<ContrastiveResult> {
  const { source, batchSize, epochs, seed, stream } = options;
  const representationDim = options.representationDim ?? 128;
  const [hidden, projected] = options.projectionDims ?? [128, 64];
  const temperature = options.temperature ?? 0.5;
  const augment = ViewAugmentSchema.parse(options.augment ?? {});
  const optimizer = OptimizerConfigSchema.parse({ name: 'adamw', lr: 1e-3, weightDecay: 1e-4, ...options.optimizer });
  if (batchSize < 2) throw new BadInputError('contrastive pretraining', `batchSize must be at least 2 (each image needs negatives), got ${batchSize}`);

  const encoder = buildModel(options.encoder, { inputShape: source.shape, numClasses: representationDim, seed });
  const head = new ParamRegistry(seed);
  const scope = new ParamScope(head, 'projection');
  const fc1 = new Dense(scope.child('fc1'), { inFeatures: representationDim, outFeatures: hidden, activation: 'relu' });
  const fc2 = new Dense(scope.child('fc2'), { inFeatures: hidden, outFeatures: projected });
  const settings = { encoder: options.encoder, inputShape: source.shape, size: source.size, representationDim, projectionDims: [hidden, projected], temperature, epochs, batchSize, seed, stream, optimizer, augment };
  return runPretrainLoop({
    ...options,
    method: 'simclr',
    what: 'contrastive pretraining',
    encoder,
    head,
    optimizer,
    settings,
    prepare: (batch, { epoch, batchIndex }) => {
      const views = contrastiveViews(batch.x, augment, Rng.keyed(seed, stream, 'views', epoch, batchIndex));
      // Both views in one forward pass: batch norm sees the 2N images together, as in SimCLR.
      const both = tf.concat(views, 0);
      return {
        loss: (updates) => {
          const z = fc2.apply(fc1.apply(encoder.apply(both, { training: true, runningStatistics: updates })));
          const [z1, z2] = tf.split(z, 2, 0) as [tf.Tensor2D, tf.Tensor2D];
          return ntXentLoss(z1, z2, temperature);
        },
        dispose: () => tf.dispose([...views, both]),
      };
    },
  });
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
