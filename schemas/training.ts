/**
 * The training configuration: one typed object with defaults, read by the
 * training loop (ml/train), the pipeline config and the stage cache key.
 */
import { z } from 'zod';
import { LossConfigSchema, type LossConfigInput } from './losses.js';

export { LOSS_METHODS, LossConfigSchema, type LossConfig, type LossConfigInput, type LossMethod } from './losses.js';

export const OptimizerConfigSchema = z
  .object({
    name: z.enum(['sgd', 'adam', 'adamw']).default('sgd'),
    lr: z.number().positive().default(0.05),
    /** sgd only. */
    momentum: z.number().min(0).max(1).default(0.9),
    nesterov: z.boolean().default(false),
    /** L2 penalty for sgd and adam, decoupled decay for adamw. */
    weightDecay: z.number().min(0).default(5e-4),
    beta1: z.number().min(0).max(1).default(0.9),
    beta2: z.number().min(0).max(1).default(0.999),
    epsilon: z.number().positive().default(1e-8),
  })
  .strict();
export type OptimizerConfig = z.infer<typeof OptimizerConfigSchema>;

export const ScheduleConfigSchema = z
  .object({
    name: z.enum(['cosine', 'constant']).default('cosine'),
    /** Linear warm-up from 0 to lr over this many epochs (fractions allowed). */
    warmupEpochs: z.number().min(0).default(0),
    /** Floor of the cosine schedule, as a fraction of lr. */
    minLrFraction: z.number().min(0).max(1).default(0),
  })
  .strict();
export type ScheduleConfig = z.infer<typeof ScheduleConfigSchema>;

export const AugmentConfigSchema = z
  .object({
    /** Random crop after zero padding by this many pixels; 0 turns it off. */
    cropPadding: z.number().int().min(0).default(0),
    /** Random horizontal flip (off for digit- and garment-like data where left/right matters little or hurts). */
    flip: z.boolean().default(false),
  })
  .strict();
export type AugmentConfig = z.infer<typeof AugmentConfigSchema>;

/** How one model is trained, without its loss: shared by the pipeline's teacher and students. */
export const ModelTrainingSchema = z
  .object({
    /** A name from the model registry (ml/models), e.g. `cnn`, `resnet20`, `linear`. */
    model: z.string().min(1),
    epochs: z.number().int().positive(),
    batchSize: z.number().int().positive().default(64),
    optimizer: OptimizerConfigSchema.default(OptimizerConfigSchema.parse({})),
    schedule: ScheduleConfigSchema.default(ScheduleConfigSchema.parse({})),
    augment: AugmentConfigSchema.default(AugmentConfigSchema.parse({})),
  })
  .strict();

export const TrainConfigSchema = ModelTrainingSchema.extend({
  loss: LossConfigSchema,
  seed: z.number().int().min(0).default(0),
}).strict();
export type TrainConfig = z.infer<typeof TrainConfigSchema>;
export type TrainConfigInput = Omit<z.input<typeof TrainConfigSchema>, 'loss'> & { readonly loss: LossConfigInput };
