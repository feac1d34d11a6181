/**
 * Many small tensors as one flat tensor and back. Elementwise work on the
 * concatenation computes, element for element, exactly what it computes on
 * each tensor alone, but as one eager op instead of one per tensor: on the
 * native backend every eager op costs ~15-25 us of dispatch whatever its size,
 * which for optimizer updates and running statistics is most of their cost.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * Whether gathering many small tensors into one pays on the active backend.
 * On the native backend an eager op costs ~20 us of dispatch whatever its
 * size, and a split is one native copy. On wasm ops dispatch cheaply, but
 * tfjs cuts a split's pieces in JavaScript, ~0.4 ms each: splitting
 * `resnet20`'s parameters back took 54 ms of a 300 ms step (BENCHMARKS.md,
 * Step 16), so there each tensor is updated on its own.
 */
export function flatteningPays(): boolean {
  return tf.getBackend() === 'tensorflow';
}

/** The tensors' values, each flattened in row-major order, end to end. Rank-1 inputs skip the Reshape. */
export function concatFlat(tensors: readonly tf.Tensor[]): tf.Tensor1D {
  const flat = tensors.map((t) => (t.rank === 1 ? (t as tf.Tensor1D) : tf.reshape(t, [-1]) as tf.Tensor1D));
  return flat.length === 1 ? flat[0]! : tf.concat(flat);
}

/** Cuts `flat` back into tensors shaped like `likes`, in order (the inverse of `concatFlat`). */
export function splitLike(flat: tf.Tensor, likes: readonly tf.Tensor[]): tf.Tensor[] {
  const parts = likes.length === 1 ? [flat] : tf.split(flat, likes.map((t) => t.size));
  return parts.map((part, i) => (likes[i]!.rank === 1 ? part : tf.reshape(part, likes[i]!.shape)));
}
