/**
 * `augconf`: distillation mixed with the student's confidence in its own
 * prediction, under a weight alpha that rises linearly from 0 to
 * `threshold` over the first `rate` of training and then stays:
 *
 *   L = (1 - alpha) * mean(kd_i) + alpha * mean(CE(s_i, argmax s_i))
 *
 * The reference code (ggjy/vision_weak_to_strong, distillers/adaptconf.py,
 * class AugConf) steps alpha once per epoch, `epoch / (epochs * rate) *
 * threshold` while `epoch < int(epochs * rate)`, so it jumps to
 * `threshold` at the integer boundary. DESIGN.md defines alpha by the
 * fraction of training done, which the training loop may advance per step
 * or per epoch; we follow DESIGN.md so that the schedule does not depend on
 * how the epochs divide and agrees with the reference at epoch starts.
 * Its defaults: rate 0.3, threshold 0.5, temperature 1.
 */
import * as tf from '@tensorflow/tfjs';
import { checkFraction, checkLogits, checkPositive, checkTeacher } from './checks.js';
import { sumTerms } from './combine.js';
import { rampedWeight } from './schedule.js';
import { distillationPerExample, selfCrossEntropy } from './terms.js';
import type { LossEntry, LossTerms } from './types.js';

const WHERE = 'loss augconf';

export interface AugConfOptions {
  /** Final confidence weight alpha, in [0, 1]. */
  readonly threshold: number;
  /** Fraction of training over which alpha rises from 0; default 0.3. */
  readonly rate?: number;
  /** Fraction of training done, in [0, 1]. */
  readonly progress: number;
  /** Softmax temperature of the distillation term; default 1. */
  readonly temperature?: number;
}

/** alpha at this point of training. */
export function augConfAlpha({ threshold, rate = 0.3, progress }: AugConfOptions): number {
  checkFraction(WHERE, 'threshold (the final alpha)', threshold);
  checkFraction(WHERE, 'rate', rate);
  checkFraction(WHERE, 'progress', progress);
  return rampedWeight(threshold, rate, progress);
}

function augConfParts(student: tf.Tensor2D, teacher: tf.Tensor2D | undefined, options: AugConfOptions): LossTerms {
  checkLogits(WHERE, 'student logits', student);
  checkTeacher(WHERE, student, teacher);
  const temperature = options.temperature ?? 1;
  checkPositive(WHERE, 'temperature', temperature);
  const alpha = augConfAlpha(options);
  return {
    terms: {
      kd: tf.mul(tf.mean(distillationPerExample(student, teacher, temperature)), 1 - alpha),
      align: tf.mul(tf.mean(selfCrossEntropy(student)), alpha),
    },
    diagnostics: { alpha: tf.scalar(alpha) },
  };
}

export function augConfLoss(student: tf.Tensor2D, teacher: tf.Tensor2D, options: AugConfOptions): tf.Scalar {
  return tf.tidy(() => sumTerms(augConfParts(student, teacher, options)));
}

export const augConfEntry: LossEntry = {
  needsTeacher: true,
  groundTruthOnly: false,
  terms: (config, inputs) =>
    augConfParts(inputs.student, inputs.teacher, {
      threshold: config.threshold,
      rate: config.rate,
      progress: inputs.progress,
      temperature: config.temperature,
    }),
};
