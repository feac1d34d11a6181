/**
 * `logconf`: the auxiliary confidence loss of Burns et al. (2023), for many
 * classes. The target mixes the teacher's distribution with the student's
 * own hardened prediction,
 *
 *   target = (1 - c) * softmax(t) + c * onehot(argmax s),
 *
 * where c warms up linearly to `auxCoef` over the first `warmup` of
 * training, and L = mean CE(s, target). Cross-entropy is linear in its
 * target, so L = (1 - c) * mean CE(s, softmax t) + c * mean CE(s, argmax s),
 * which is how it is computed, giving the two parts (`soft`, `align`)
 * separately for logs.
 *
 * The binary original (openai/weak-to-strong) hardens the student's
 * predictions with a batch quantile matched to the teacher's class balance
 * instead of argmax, and its warm-up multiplies by the raw step fraction
 * (reaching only warmup * auxCoef before jumping). Here: argmax
 * hardening, which is what a multi-class target calls for, and a continuous
 * warm-up.
 */
import * as tf from '@tensorflow/tfjs';
import { checkFraction, checkLogits, checkTeacher } from './checks.js';
import { lossEntry, summed } from './combine.js';
import { rampedWeight } from './ramp.js';
import { selfCrossEntropy, softCrossEntropy } from './terms.js';
import type { LossTerms } from './types.js';

const WHERE = 'loss logconf';

export interface LogConfOptions {
  /** Final weight c of the student's hardened prediction in the target; default 0.5. */
  readonly auxCoef?: number;
  /** Fraction of training over which c warms up; default 0.1. */
  readonly warmup?: number;
  /** Fraction of training done, in [0, 1]. */
  readonly progress: number;
}

/** c at this point of training. */
export function logConfCoef({ auxCoef = 0.5, warmup = 0.1, progress }: LogConfOptions): number {
  checkFraction(WHERE, 'auxCoef', auxCoef);
  checkFraction(WHERE, 'warmup', warmup);
  checkFraction(WHERE, 'progress', progress);
  return rampedWeight(auxCoef, warmup, progress);
}

function logConfParts(student: tf.Tensor2D, teacher: tf.Tensor2D | undefined, options: LogConfOptions): LossTerms {
  checkLogits(WHERE, 'student logits', student);
  checkTeacher(WHERE, student, teacher);
  const c = logConfCoef(options);
  return {
    terms: {
      soft: tf.mul(tf.mean(softCrossEntropy(student, teacher)), 1 - c),
      align: tf.mul(tf.mean(selfCrossEntropy(student)), c),
    },
    diagnostics: { alpha: tf.scalar(c) },
  };
}

export const logConfLoss = summed((student: tf.Tensor2D, teacher: tf.Tensor2D, options: LogConfOptions) => logConfParts(student, teacher, options));

export const logConfEntry = lossEntry('logconf', (config, inputs) => logConfParts(inputs.student, inputs.teacher, { ...config, progress: inputs.progress }));
