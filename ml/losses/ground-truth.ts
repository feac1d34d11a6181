/**
 * Cross-entropy with the ground truth: the `ceiling` method on its own, and
 * the `gt` term added to any other method with weight `gtWeight`.
 */
import * as tf from '@tensorflow/tfjs';
import { checkLabels, checkLogits } from './checks.js';
import { lossEntry, onlyTerm } from './combine.js';
import { crossEntropyToIndex } from './terms.js';
import type { LossTerms } from './types.js';

const WHERE = 'loss ceiling';

/** Mean over the batch of CE(s, y); labels are class indices. */
export function groundTruthLoss(student: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.mean(crossEntropyToIndex(student, labels)));
}

function ceilingParts(student: tf.Tensor2D, labels: tf.Tensor1D | undefined): LossTerms {
  checkLogits(WHERE, 'student logits', student);
  const y = checkLabels(WHERE, student, labels, 'because it trains on ground truth alone');
  return onlyTerm('gt', groundTruthLoss(student, y));
}

export const ceilingEntry = lossEntry('ceiling', (_config, inputs) => ceilingParts(inputs.student, inputs.labels));
