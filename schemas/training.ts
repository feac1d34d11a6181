/**
 * The training configuration: one typed object with defaults, read by the
 * training loop (ml/train), the pipeline config and the stage cache key.
 */
import { z } from 'zod';
import { LossConfigSchema, type LossConfigInput } from './losses.js';
import { MODEL_NAMES } from './models.js';

export { LOSS_METHODS, LossConfigSchema, type LossConfig, type LossConfigInput, type LossMethod } from './losses.js';

/** Bounds on what one training may ask for: beyond them a run cannot finish (or allocate), so the config is refused at once. */
export const MAX_EPOCHS = 100_000;
export const MAX_BATCH_SIZE = 65_536;
/** Seeds key a sha256-based generator; a 32-bit range is plenty and stays an exact integer everywhere. */
export const MAX_SEED = 2 ** 32 - 1;

export const OptimizerConfigSchema = z
  .object({
    name: z.enum(['sgd', 'adam', 'adamw']).default('sgd').describe('optimizer'),
    lr: z.number().positive().default(0.05).describe('peak learning rate'),
    /** sgd only. */
    momentum: z.number().min(0).max(1).default(0.9).describe('sgd only'),
    nesterov: z.boolean().default(false).describe('sgd only: Nesterov momentum'),
    /** L2 penalty for sgd and adam, decoupled decay for adamw. */
    weightDecay: z.number().min(0).default(5e-4).describe('L2 penalty for sgd and adam, decoupled decay for adamw'),
    beta1: z.number().min(0).max(1).default(0.9).describe('adam and adamw'),
    beta2: z.number().min(0).max(1).default(0.999).describe('adam and adamw'),
    epsilon: z.number().positive().default(1e-8).describe('adam and adamw'),
  })
  .strict();
export type OptimizerConfig = z.infer<typeof OptimizerConfigSchema>;

export const ScheduleConfigSchema = z
  .object({
    name: z.enum(['cosine', 'constant']).default('cosine').describe('learning-rate schedule over the training'),
    /** Linear warm-up from 0 to lr over this many epochs (fractions allowed). */
    warmupEpochs: z.number().min(0).max(MAX_EPOCHS).default(0).describe('linear warm-up from 0 to lr over this many epochs (fractions allowed)'),
    /** Floor of the cosine schedule, as a fraction of lr. */
    minLrFraction: z.number().min(0).max(1).default(0).describe('floor of the cosine schedule, as a fraction of lr'),
  })
  .strict();
export type ScheduleConfig = z.infer<typeof ScheduleConfigSchema>;

export const AugmentConfigSchema = z
  .object({
    /** Random crop after zero padding by this many pixels; 0 turns it off. */
    cropPadding: z.number().int().min(0).max(256).default(0).describe('random crop after zero padding by this many pixels; 0 turns it off'),
    /** Random horizontal flip (off for digit- and garment-like data where left/right matters little or hurts). */
    flip: z.boolean().default(false).describe('random horizontal flip'),
  })
  .strict();
export type AugmentConfig = z.infer<typeof AugmentConfigSchema>;

/** What early stopping watches on the validation split after every epoch. */
export const EARLY_STOPPING_MONITORS = ['teacher', 'ground-truth'] as const;
export type EarlyStoppingMonitor = (typeof EARLY_STOPPING_MONITORS)[number];

/**
 * Early stopping for students: after every epoch the model is scored on the
 * validation split; training stops once `patience` epochs pass without a
 * better score, and the best epoch's weights are the ones kept.
 */
export const EarlyStoppingConfigSchema = z
  .object({
    patience: z.number().int().positive().max(MAX_EPOCHS).describe('epochs without a better validation score before training stops'),
    monitor: z
      .enum(EARLY_STOPPING_MONITORS)
      .default('teacher')
      .describe("what is scored on the validation split: agreement with the teacher's labels (teacher; all a user without labels has) or accuracy (ground-truth); the ceiling always watches ground truth"),
  })
  .strict();
export type EarlyStoppingConfig = z.infer<typeof EarlyStoppingConfigSchema>;

/** How one model is trained, without its loss: shared by the pipeline's teacher and students. */
export const ModelTrainingSchema = z
  .object({
    /** A name from the model registry (ml/models), e.g. `cnn`, `resnet20`, `linear`. */
    model: z.string().min(1).describe(`a model name: ${MODEL_NAMES.join(', ')}`),
    epochs: z.number().int().positive().max(MAX_EPOCHS).describe('passes over the training split'),
    batchSize: z.number().int().positive().max(MAX_BATCH_SIZE).default(64).describe('images per step'),
    optimizer: OptimizerConfigSchema.default(OptimizerConfigSchema.parse({})).describe('optimizer and its settings'),
    schedule: ScheduleConfigSchema.default(ScheduleConfigSchema.parse({})).describe('learning-rate schedule'),
    augment: AugmentConfigSchema.default(AugmentConfigSchema.parse({})).describe('training-time augmentation'),
  })
  .strict();

export const TrainConfigSchema = ModelTrainingSchema.extend({
  loss: LossConfigSchema,
  seed: z.number().int().min(0).max(MAX_SEED).default(0),
  /** Needs held-out data to watch (the pipeline's validation split). */
  earlyStopping: EarlyStoppingConfigSchema.optional(),
}).strict();
export type TrainConfig = z.infer<typeof TrainConfigSchema>;
export type TrainConfigInput = Omit<z.input<typeof TrainConfigSchema>, 'loss'> & { readonly loss: LossConfigInput };
