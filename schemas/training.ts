/**
 * The training configuration: one typed object with defaults, read by the
 * training loop (ml/train), the pipeline config and the stage cache key.
 */
import { z } from 'zod';

export const LOSS_METHODS = ['ceiling', 'hard', 'kd', 'augconf', 'adaptconf', 'logconf'] as const;
export type LossMethod = (typeof LOSS_METHODS)[number];

export const LossConfigSchema = z
  .object({
    /** `ceiling` trains on ground truth alone; the others learn from teacher logits. */
    method: z.enum(LOSS_METHODS),
    /** Softmax temperature of the distillation term (kd, augconf, adaptconf; logconf has none). */
    temperature: z.number().positive().default(1),
    /**
     * augconf: the final confidence weight alpha (at most 1); adaptconf: theta, the temperature of the
     * adaptive weight. 0.5 is the reference setting for the CIFAR experiments.
     */
    threshold: z.number().positive().default(0.5),
    /** augconf: fraction of training over which alpha rises from 0 to `threshold`. */
    rate: z.number().min(0).max(1).default(0.3),
    /** logconf: final weight of the student's own hardened prediction in the target. */
    auxCoef: z.number().min(0).max(1).default(0.5),
    /** logconf: fraction of training over which that weight warms up. */
    warmup: z.number().min(0).max(1).default(0.1),
    /** Weight of cross-entropy with ground truth added to the loss (1 = knowledge distillation, 0 = pure weak-to-strong). */
    gtWeight: z.number().min(0).default(0),
  })
  .strict();
export type LossConfig = z.infer<typeof LossConfigSchema>;

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
export type ModelTraining = z.infer<typeof ModelTrainingSchema>;

export const TrainConfigSchema = ModelTrainingSchema.extend({
  loss: LossConfigSchema,
  seed: z.number().int().min(0).default(0),
}).strict();
export type TrainConfig = z.infer<typeof TrainConfigSchema>;
export type TrainConfigInput = z.input<typeof TrainConfigSchema>;
