/**
 * `augconf`: distillation mixed with the student's confidence in its own
 * prediction, under a weight alpha that rises linearly from 0 to
 * `finalAlpha` over the first `rampFraction` of training and then stays:
 *
 *   L = (1 - alpha) * mean(kd_i) + alpha * mean(CE(s_i, argmax s_i))
 *
 * The reference code (ggjy/vision_weak_to_strong, distillers/adaptconf.py,
 * class AugConf) steps alpha once per epoch, `epoch / (epochs * rate) *
 * threshold` while `epoch < int(epochs * rate)` (its `threshold` is our
 * `finalAlpha`, its `rate` our `rampFraction`), so it jumps to the final
 * alpha at the integer boundary. Here alpha follows the fraction of
 * training done, which the training loop may advance per step or per epoch,
 * so that the schedule does not depend on how the epochs divide; it agrees
 * with the reference at epoch starts.
 * Its defaults: rampFraction 0.3, finalAlpha 0.5, temperature 1.
 */
import * as tf from '@tensorflow/tfjs';
import { checkFraction, checkLogits, checkPositive, checkTeacher } from './checks.js';
import { lossEntry, summed } from './combine.js';
import { rampedWeight } from './ramp.js';
import { distillationPerExample, selfCrossEntropy } from './terms.js';
import type { LossTerms } from './types.js';

const WHERE = 'loss augconf';

export interface AugConfOptions {
  /** Final confidence weight alpha, in [0, 1]. */
  readonly finalAlpha: number;
  /** Fraction of training over which alpha rises from 0; default 0.3. */
  readonly rampFraction?: number;
  /** Fraction of training done, in [0, 1]. */
  readonly progress: number;
  /** Softmax temperature of the distillation term; default 1. */
  readonly temperature?: number;
}

/** alpha at this point of training. */
export function augConfAlpha({ finalAlpha, rampFraction = 0.3, progress }: AugConfOptions): number {
  checkFraction(WHERE, 'finalAlpha', finalAlpha);
  checkFraction(WHERE, 'rampFraction', rampFraction);
  checkFraction(WHERE, 'progress', progress);
  return rampedWeight(finalAlpha, rampFraction, progress);
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

export const augConfLoss = summed((student: tf.Tensor2D, teacher: tf.Tensor2D, options: AugConfOptions) => augConfParts(student, teacher, options));

export const augConfEntry = lossEntry('augconf', (config, inputs) => augConfParts(inputs.student, inputs.teacher, { ...config, progress: inputs.progress }));
