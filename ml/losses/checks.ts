/**
 * Input checks shared by the losses. Each error names the loss, the input
 * and what is wrong, so a misconfigured run fails at its first batch with a
 * message the user can act on rather than with NaN losses or a shape error
 * from deep inside TensorFlow.js.
 */
import type * as tf from '@tensorflow/tfjs';
import { BadInputError } from '../../core/errors.js';

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function checkLogits(where: string, name: string, logits: tf.Tensor | undefined): asserts logits is tf.Tensor2D {
  if (logits === undefined) throw new BadInputError(where, `${name} is missing`);
  if (logits.rank !== 2) {
    throw new BadInputError(where, `${name} must be [batch, classes], got shape ${shapeText(logits.shape)}`);
  }
  const [batch, classes] = logits.shape as [number, number];
  if (batch < 1 || classes < 1) {
    throw new BadInputError(where, `${name} must hold at least one example and one class, got shape ${shapeText(logits.shape)}`);
  }
  if (logits.dtype !== 'float32') throw new BadInputError(where, `${name} must be float32, got ${logits.dtype}`);
}

export function checkTeacher(where: string, student: tf.Tensor2D, teacher: tf.Tensor2D | undefined): asserts teacher is tf.Tensor2D {
  if (teacher === undefined) {
    throw new BadInputError(where, 'needs teacher logits (inputs.teacher) but none were given; this method learns from a teacher');
  }
  checkLogits(where, 'teacher logits', teacher);
  if (teacher.shape[0] !== student.shape[0] || teacher.shape[1] !== student.shape[1]) {
    throw new BadInputError(
      where,
      `teacher logits have shape ${shapeText(teacher.shape)} but student logits have shape ${shapeText(student.shape)}; they must match`,
    );
  }
}

/**
 * Label values are not read back here (that would stall the device every
 * step); readers validate them against the class count when shards load.
 */
export function checkLabels(
  where: string,
  student: tf.Tensor2D,
  labels: tf.Tensor1D | undefined,
  because: string,
): tf.Tensor1D {
  if (labels === undefined) {
    throw new BadInputError(where, `needs ground-truth labels (inputs.labels) ${because}, but none were given`);
  }
  if (labels.rank !== 1) throw new BadInputError(where, `labels must be [batch], got shape ${shapeText(labels.shape)}`);
  if (labels.shape[0] !== student.shape[0]) {
    throw new BadInputError(where, `labels hold ${labels.shape[0]} examples but student logits hold ${student.shape[0]}`);
  }
  return labels;
}

export function checkPositive(where: string, name: string, value: number): void {
  if (!(Number.isFinite(value) && value > 0)) throw new BadInputError(where, `${name} must be a positive number, got ${value}`);
}

export function checkFraction(where: string, name: string, value: number): void {
  if (!(Number.isFinite(value) && value >= 0 && value <= 1)) {
    throw new BadInputError(where, `${name} must be a number in [0, 1], got ${value}`);
  }
}

export function checkNonNegative(where: string, name: string, value: number): void {
  if (!(Number.isFinite(value) && value >= 0)) throw new BadInputError(where, `${name} must be a number >= 0, got ${value}`);
}
