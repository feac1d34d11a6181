/**
 * What the report plots, recorded by the stages that produce it as small
 * JSON objects next to their other outputs: a training's curves and the
 * distribution of its confidence weight alpha (`training-record`), and an
 * evaluated model's confusion matrix and agreement with its teacher
 * (`evaluation-details`). Both are pure functions of their stage's cache
 * key (no timings), so a cache hit reuses them with the stage's outputs.
 */
import { z } from 'zod';

const Count = z.number().int().min(0);
const Fraction = z.number().min(0).max(1);

/** Lineage roles of the two objects, as the report finds them in a run's records. */
export const TRAINING_RECORD_ROLE = 'training-record';
export const EVALUATION_DETAILS_ROLE = 'evaluation-details';

/** One point of a training curve: the means over the steps since the previous point. */
export const CurvePointSchema = z
  .object({
    /** Optimizer steps completed at this point. */
    step: Count,
    epoch: Count,
    /** Mean of `total` and each loss part (and the diagnostic `alpha`) over the window. */
    loss: z.record(z.string(), z.number()),
    /** Student argmax equal to the label, over the window's labelled examples. */
    trainAccuracy: Fraction.optional(),
  })
  .strict();
export type CurvePoint = z.infer<typeof CurvePointSchema>;

/** The per-example confidence weight alpha of one epoch, in equal-width bins over [0, 1]. */
export const AlphaHistogramSchema = z.object({ epoch: Count, counts: z.array(Count) }).strict();
export type AlphaHistogram = z.infer<typeof AlphaHistogramSchema>;

export const EpochSummarySchema = z
  .object({
    epoch: Count,
    step: Count,
    loss: z.record(z.string(), z.number()),
    trainAccuracy: Fraction.optional(),
    teacherAgreement: Fraction.optional(),
    /** The score early stopping watched on the validation split after this epoch. */
    validationScore: Fraction.optional(),
  })
  .strict();

/** Which epoch's weights early stopping kept, and why. */
export const EarlyStoppingRecordSchema = z
  .object({
    monitor: z.enum(['teacher', 'ground-truth']),
    patience: z.number().int().positive(),
    /** 0-based, as `perEpoch[].epoch`. */
    keptEpoch: Count,
    score: Fraction,
    epochsTrained: Count,
    stopped: z.boolean(),
    reason: z.string(),
  })
  .strict();

export const TrainingRecordSchema = z
  .object({
    version: z.literal(1),
    // No name: the record is shared by every run that trains the same config, whatever it calls the model.
    role: z.enum(['teacher', 'student']),
    method: z.string(),
    steps: Count,
    epochs: Count,
    /** At most a few hundred points, whatever the length of training. */
    curve: z.array(CurvePointSchema),
    perEpoch: z.array(EpochSummarySchema),
    /** Present for methods that weigh examples by alpha (adaptconf, augconf). */
    alpha: z.object({ bins: z.number().int().positive(), histograms: z.array(AlphaHistogramSchema) }).strict().optional(),
    /** Present when the training stopped early on the validation split: the epoch whose weights the model holds. */
    earlyStopping: EarlyStoppingRecordSchema.optional(),
  })
  .strict();
export type TrainingRecord = z.infer<typeof TrainingRecordSchema>;

/** How a model fares on the examples where the teacher is right, and on those where it is wrong. */
export const TeacherSplitSchema = z
  .object({
    examples: Count,
    /** The model predicts the true label. Where the teacher is wrong, these are mistakes the model fixed. */
    correct: Count,
    /** The model predicts what the teacher predicts. Where the teacher is wrong, these are its mistakes copied. */
    agreeing: Count,
  })
  .strict();
export type TeacherSplit = z.infer<typeof TeacherSplitSchema>;

export const EvaluationDetailsSchema = z
  .object({
    version: z.literal(1),
    name: z.string(),
    examples: Count,
    /** [true class][predicted class] counts. */
    confusion: z.array(z.array(Count)),
    /** Accuracy per true class; null for a class without test examples. */
    perClassAccuracy: z.array(Fraction.nullable()),
    /** Absent when the evaluation had no teacher logits. */
    teacher: z.object({ right: TeacherSplitSchema, wrong: TeacherSplitSchema }).strict().optional(),
  })
  .strict();
export type EvaluationDetails = z.infer<typeof EvaluationDetailsSchema>;
