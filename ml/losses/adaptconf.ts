/**
 * `adaptconf`, the method of Guo et al. (2024): each example weighs
 * distillation against the student's confidence in its own prediction by
 *
 *   alpha_i = a / (a + b),  a = exp(CE(s_i, argmax s_i) / theta),
 *                           b = exp(CE(s_i, argmax t_i) / theta)
 *   L = mean((1 - alpha_i) * kd_i) + mean(alpha_i * CE(s_i, argmax s_i))
 *
 * with alpha held constant in the backward pass. a / (a + b) equals
 * sigmoid((CE_self - CE_teacher) / theta), which is how it is computed
 * here: the reference code (ggjy/vision_weak_to_strong,
 * distillers/adaptconf.py) exponentiates the cross-entropies directly. In
 * float32 b overflows to Infinity once CE(s, argmax t) > 88 * theta
 * (confident logits that disagree with the teacher), and since
 * CE(s, argmax s) <= log K, a does too when theta < log(K) / 88, giving
 * Infinity / Infinity = NaN. The sigmoid never overflows.
 * The reference's few-shot variant (few_shot_leaerning/utils) also ramps
 * alpha up over the first quarter of training; its classification code and
 * the paper do not, and neither do we.
 * Reference defaults: theta 0.5 for CIFAR, 4.0 for ImageNet; temperature 1.
 */
import * as tf from '@tensorflow/tfjs';
import { checkLogits, checkPositive, checkTeacher } from './checks.js';
import { lossEntry, summed } from './combine.js';
import { detached } from './stop-gradient.js';
import { distillationPerExample, selfCrossEntropy, teacherHardCrossEntropy } from './terms.js';
import type { LossTerms } from './types.js';

const WHERE = 'loss adaptconf';

export interface AdaptConfOptions {
  /** The temperature of the adaptive weight: larger theta pulls alpha towards 1/2. */
  readonly theta: number;
  /** Softmax temperature of the distillation term; default 1. */
  readonly temperature?: number;
}

/** alpha_i per example, with gradients flowing through it (the stop-gradient is applied by the loss). */
export function adaptiveWeight(student: tf.Tensor2D, teacher: tf.Tensor2D, theta: number): tf.Tensor1D {
  const margin = tf.sub<tf.Tensor1D>(selfCrossEntropy(student), teacherHardCrossEntropy(student, teacher));
  return tf.sigmoid(tf.div<tf.Tensor1D>(margin, theta));
}

function adaptConfParts(student: tf.Tensor2D, teacher: tf.Tensor2D | undefined, { theta, temperature = 1 }: AdaptConfOptions): LossTerms {
  checkLogits(WHERE, 'student logits', student);
  checkTeacher(WHERE, student, teacher);
  checkPositive(WHERE, 'theta', theta);
  checkPositive(WHERE, 'temperature', temperature);
  const alpha = detached((s, t) => adaptiveWeight(s, t, theta))(student, teacher);
  const kd = distillationPerExample(student, teacher, temperature);
  return {
    terms: {
      kd: tf.mean(tf.mul(tf.sub(1, alpha), kd)),
      align: tf.mean(tf.mul(alpha, selfCrossEntropy(student))),
    },
    diagnostics: { alpha: tf.mean(alpha) },
    perExample: { alpha },
  };
}

export const adaptConfLoss = summed((student: tf.Tensor2D, teacher: tf.Tensor2D, options: AdaptConfOptions) => adaptConfParts(student, teacher, options));

export const adaptConfEntry = lossEntry('adaptconf', (config, inputs) => adaptConfParts(inputs.student, inputs.teacher, config));
