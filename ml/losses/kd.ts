/**
 * `kd`: knowledge distillation from the teacher's softened distribution,
 * mean over the batch of T^2 * KL(softmax(t/T) || softmax(s/T)).
 */
import * as tf from '@tensorflow/tfjs';
import { checkLogits, checkPositive, checkTeacher } from './checks.js';
import { lossEntry, onlyTerm, summed } from './combine.js';
import { distillationPerExample } from './terms.js';
import type { LossTerms } from './types.js';

const WHERE = 'loss kd';

export interface KdOptions {
  /** Softmax temperature T; the reference code's default is 1. */
  readonly temperature?: number;
}

function kdParts(student: tf.Tensor2D, teacher: tf.Tensor2D | undefined, { temperature = 1 }: KdOptions): LossTerms {
  checkLogits(WHERE, 'student logits', student);
  checkTeacher(WHERE, student, teacher);
  checkPositive(WHERE, 'temperature', temperature);
  return onlyTerm('kd', tf.mean(distillationPerExample(student, teacher, temperature)));
}

export const kdLoss = summed((student: tf.Tensor2D, teacher: tf.Tensor2D, options: KdOptions = {}) => kdParts(student, teacher, options));

export const kdEntry = lossEntry('kd', (config, inputs) => kdParts(inputs.student, inputs.teacher, config));
