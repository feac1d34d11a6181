/**
 * `hard`: cross-entropy with the teacher's hard label, the plain
 * weak-to-strong baseline of Burns et al. (2023).
 */
import * as tf from '@tensorflow/tfjs';
import { checkLogits, checkTeacher } from './checks.js';
import { onlyTerm, sumTerms } from './combine.js';
import { teacherHardCrossEntropy } from './terms.js';
import type { LossEntry, LossTerms } from './types.js';

const WHERE = 'loss hard';

function hardParts(student: tf.Tensor2D, teacher: tf.Tensor2D | undefined): LossTerms {
  checkLogits(WHERE, 'student logits', student);
  checkTeacher(WHERE, student, teacher);
  return onlyTerm('hard', tf.mean(teacherHardCrossEntropy(student, teacher)));
}

/** Mean over the batch of CE(s, argmax t). */
export function hardLoss(student: tf.Tensor2D, teacher: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => sumTerms(hardParts(student, teacher)));
}

export const hardEntry: LossEntry = {
  needsTeacher: true,
  groundTruthOnly: false,
  terms: (_config, inputs) => hardParts(inputs.student, inputs.teacher),
};
