/**
 * NT-Xent, the normalized temperature-scaled cross-entropy of SimCLR (Chen
 * et al., 2020). For projections z1, z2 `[N, d]` of two views of the same N
 * images, all 2N are L2-normalised; each one's positive is the other view
 * of its image and its negatives are the other 2N - 2:
 *
 *   l_i = -log( exp(sim(i, p(i)) / T) / sum_{k != i} exp(sim(i, k) / T) )
 *   L   = mean over the 2N anchors of l_i
 *
 * as PyTorch implementations compute it (cross-entropy over the similarity
 * matrix with its diagonal masked out).
 */
import * as tf from '@tensorflow/tfjs';

/** Added to the diagonal of the similarity matrix: an example is never its own negative. */
const SELF_MASK = -1e9;

export function ntXentLoss(z1: tf.Tensor2D, z2: tf.Tensor2D, temperature: number): tf.Scalar {
  if (!(temperature > 0)) throw new Error(`NT-Xent: temperature must be positive, got ${temperature}`);
  if (z1.shape[0] !== z2.shape[0] || z1.shape[1] !== z2.shape[1]) throw new Error(`NT-Xent: the two views' projections differ in shape: [${z1.shape}] vs [${z2.shape}]`);
  const n = z1.shape[0];
  if (n < 1) throw new Error('NT-Xent: needs at least one pair');
  return tf.tidy(() => {
    const z = tf.concat([z1, z2], 0);
    // F.normalize: z / max(||z||, 1e-12).
    const unit = tf.div(z, tf.maximum(tf.norm(z, 'euclidean', 1, true), 1e-12));
    const similarity = tf.add(tf.div(tf.matMul(unit, unit, false, true), temperature), tf.mul(tf.eye(2 * n), SELF_MASK));
    const positives = tf.tensor1d(Int32Array.from({ length: 2 * n }, (_, i) => (i + n) % (2 * n)), 'int32');
    const targets = tf.oneHot(positives, 2 * n);
    const logProbabilities = tf.logSoftmax(similarity);
    return tf.neg(tf.mean(tf.sum(tf.mul(targets, logProbabilities), 1))) as tf.Scalar;
  });
}
