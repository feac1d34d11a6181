/**
 * Supervised pretraining of a zoo model as an encoder, from labelled images
 * the task never sees (a run's `pool` split, or another dataset): the
 * encoder's output (its last layer sized `representationDim`) through a
 * linear head to the pool's classes, cross-entropy on the pool's labels.
 * The head is thrown away afterwards, exactly as SimCLR's projection head
 * is, so a student reuses the encoder the same way (`transferWeights`): its
 * classifier reads what the encoder's last layer read, a representation
 * trained to separate the pool's classes. That is what makes it a stand-in
 * for a foundation model: the concepts are in the representation before the
 * student sees a weak label.
 *
 * Determinism and checkpoints as in every pretraining (./loop.ts).
 */
import { BadInputError } from '../../core/errors.js';
import { OptimizerConfigSchema, type OptimizerConfig } from '../../schemas/training.js';
import { groundTruthLoss } from '../losses/ground-truth.js';
import { buildModel } from '../models/registry.js';
import { Dense } from '../nn/layers.js';
import { ParamRegistry, ParamScope } from '../nn/params.js';
import { runPretrainLoop, type PretrainResult, type PretrainRunOptions } from './loop.js';

export interface SupervisedOptions extends PretrainRunOptions {
  /** Zoo model used as the encoder (`cnn`, `resnet20`, ...). */
  readonly encoder: string;
  /** Width of the encoder's output, which the pretraining head maps to the classes. */
  readonly representationDim?: number;
  readonly optimizer?: Partial<OptimizerConfig>;
}

/** Pretrains on `source`, whose every batch must carry labels. */
export async function pretrainSupervised(options: SupervisedOptions): Promise<PretrainResult> {
  const { source, batchSize, epochs, seed, stream } = options;
  const representationDim = options.representationDim ?? 128;
  const optimizer = OptimizerConfigSchema.parse({ name: 'adamw', lr: 1e-3, weightDecay: 1e-4, ...options.optimizer });
  const encoder = buildModel(options.encoder, { inputShape: source.shape, numClasses: representationDim, seed });
  const head = new ParamRegistry(seed);
  const classifier = new Dense(new ParamScope(head, 'head').child('fc'), { inFeatures: representationDim, outFeatures: source.numClasses });
  const settings = { method: 'supervised', encoder: options.encoder, inputShape: source.shape, size: source.size, numClasses: source.numClasses, representationDim, epochs, batchSize, seed, stream, optimizer };
  return runPretrainLoop({
    ...options,
    method: 'supervised',
    what: 'supervised pretraining',
    encoder,
    head,
    optimizer,
    settings,
    prepare: (batch) => {
      const labels = batch.labels;
      if (!labels) throw new BadInputError('supervised pretraining', 'its images carry no labels');
      return { loss: (updates) => groundTruthLoss(classifier.apply(encoder.apply(batch.x, { training: true, runningStatistics: updates })), labels) };
    },
  });
}
