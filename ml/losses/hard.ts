/**
 * `hard`: cross-entropy with the teacher's hard label, the plain
 * weak-to-strong baseline of Burns et al. (2023).
 */
import * as tf from '@tensorflow/tfjs';
import { checkLogits, checkTeacher } from './checks.js';
import { lossEntry, onlyTerm, summed } from './combine.js';
import { teacherHardCrossEntropy } from './terms.js';
import type { LossTerms } from './types.js';

const WHERE = 'loss hard';

function hardParts(student: tf.Tensor2D, teacher: tf.Tensor2D | undefined): LossTerms {
  checkLogits(WHERE, 'student logits', student);
  checkTeacher(WHERE, student, teacher);
  return onlyTerm('hard', tf.mean(teacherHardCrossEntropy(student, teacher)));
}

/** Mean over the batch of CE(s, argmax t). */
export const hardLoss = summed((student: tf.Tensor2D, teacher: tf.Tensor2D) => hardParts(student, teacher));

export const hardEntry = lossEntry('hard', (_config, inputs) => hardParts(inputs.student, inputs.teacher));
