/**
 * Values computed from the student's logits that must act as constants in
 * the backward pass (TensorFlow.js has no stop-gradient op). The forward
 * function runs inside a custom-gradient kernel, so its ops are not
 * recorded on the gradient tape, and the declared gradient is zero.
 */
import * as tf from '@tensorflow/tfjs';

type Detached = (student: tf.Tensor2D, teacher: tf.Tensor2D) => tf.Tensor1D;

export function detached(compute: Detached): Detached {
  const op = tf.customGrad<tf.Tensor1D>((...inputs) => {
    const [student, teacher] = inputs as [tf.Tensor2D, tf.Tensor2D];
    return {
      value: compute(student, teacher),
      gradFunc: () => [tf.zerosLike(student), tf.zerosLike(teacher)],
    };
  });
  return (student, teacher) => op(student, teacher);
}
