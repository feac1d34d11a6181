/**
 * Per-example building blocks of the losses, all in log space so that
 * logits in the thousands give finite values and gradients where
 * softmax-then-log would produce log(0) = -Infinity.
 */
import * as tf from '@tensorflow/tfjs';

function scaled(logits: tf.Tensor2D, temperature: number): tf.Tensor2D {
  return temperature === 1 ? logits : tf.div(logits, temperature);
}

/** One-hot rows as float32, from class indices. */
function oneHotFloat(indices: tf.Tensor1D, classes: number): tf.Tensor2D {
  return tf.oneHot(tf.cast(indices, 'int32'), classes, 1, 0, 'float32') as tf.Tensor2D;
}

/**
 * log(1 + x) to float32 relative precision for small x >= 0, on every
 * backend: the wasm Log1p kernel computes log(1 + x) directly (tfjs 4.22),
 * which is 0 for x below 6e-8. With u = fl(1 + x), log(u) * x / (u - 1)
 * corrects for the rounding of u (Goldberg 1991, Theorem 4). The gradient
 * 1 / (1 + x) is given explicitly rather than differentiated through the
 * correction, whose terms cancel.
 */
const accurateLog1p = tf.customGrad<tf.Tensor2D>((...inputs) => {
  const x = inputs[0] as tf.Tensor2D;
  const save = inputs[1] as tf.GradSaveFunc;
  const u = tf.add(1, x);
  const roundedX = tf.sub(u, 1);
  const exact = tf.equal(roundedX, 0);
  const corrected = tf.mul(tf.log(u), tf.div(x, tf.where(exact, tf.onesLike(x), roundedX)));
  save([x]);
  return {
    value: tf.where(exact, x, corrected) as tf.Tensor2D,
    gradFunc: (dy, saved) => tf.div(dy, tf.add(1, saved[0]!)),
  };
});

interface RowNormalisation {
  /** log softmax(x), [batch, classes]. */
  readonly logProbs: tf.Tensor2D;
  /** log sum exp(x) per row, [batch, 1]. */
  readonly logSumExp: tf.Tensor2D;
}

/**
 * log softmax per row, as x - x_top - log1p(sum over j != top of exp(x_j - x_top)).
 * tf.logSoftmax computes log(1 + small) for a confident row, which float32
 * rounds to 0 once small < 6e-8, losing the cross-entropy of confident
 * predictions (the align term) entirely; an accurate log1p keeps it to
 * float32 relative precision. The top logit is taken by a one-hot product
 * rather than tf.max so that tied maxima get the right gradient.
 */
function normalise(logits: tf.Tensor2D): RowNormalisation {
  const top = oneHotFloat(tf.argMax(logits, 1), logits.shape[1]);
  const topLogit = tf.sum<tf.Tensor2D>(tf.mul(logits, top), 1, true);
  const shifted = tf.sub(logits, topLogit);
  const logRest = accurateLog1p(tf.sum(tf.mul(tf.exp(shifted), tf.sub(1, top)), 1, true));
  return { logProbs: tf.sub(shifted, logRest), logSumExp: tf.add(topLogit, logRest) };
}

export function logProbabilities(logits: tf.Tensor2D): tf.Tensor2D {
  return normalise(logits).logProbs;
}

/** -log softmax(logits)[index] per row; `indices` are class indices. */
export function crossEntropyToIndex(logits: tf.Tensor2D, indices: tf.Tensor1D): tf.Tensor1D {
  const target = oneHotFloat(indices, logits.shape[1]);
  return tf.neg(tf.sum<tf.Tensor1D>(tf.mul(logProbabilities(logits), target), 1));
}

/** Cross-entropy of the logits with their own argmax: low when the model is confident. */
export function selfCrossEntropy(logits: tf.Tensor2D): tf.Tensor1D {
  return crossEntropyToIndex(logits, tf.argMax(logits, 1));
}

/** Cross-entropy with the teacher's hard label, argmax of its logits. */
export function teacherHardCrossEntropy(student: tf.Tensor2D, teacher: tf.Tensor2D): tf.Tensor1D {
  return crossEntropyToIndex(student, tf.argMax(teacher, 1));
}

/** -sum_k softmax(t)_k log softmax(s)_k per row: cross-entropy with the teacher's soft label. */
export function softCrossEntropy(student: tf.Tensor2D, teacher: tf.Tensor2D): tf.Tensor1D {
  const teacherProbs = tf.exp(logProbabilities(teacher));
  return tf.neg(tf.sum<tf.Tensor1D>(tf.mul(teacherProbs, logProbabilities(student)), 1));
}

/** The largest |x| for which psi(x) is summed as a series. */
const SERIES_LIMIT = 0.5;

/**
 * psi(x) = exp(x) - 1 - x by its Taylor series from x^2/2 to x^8/8!, whose
 * truncation error is below 1e-8 relative for |x| <= 0.5, where the direct
 * formula loses up to all its digits to cancellation.
 */
function psiSeries(x: tf.Tensor2D): tf.Tensor2D {
  let poly: tf.Tensor2D = tf.fill(x.shape, 1 / 40320);
  for (const k of [7, 6, 5, 4, 3, 2]) poly = tf.add(tf.mul(poly, x), 1 / factorial(k));
  return tf.mul(tf.square(x), poly);
}

function factorial(n: number): number {
  return n <= 1 ? 1 : n * factorial(n - 1);
}

/**
 * T^2 * KL(softmax(t/T) || softmax(s/T)) per row. The T^2 factor keeps the
 * gradient's size independent of T (Hinton et al. 2015).
 *
 * The textbook sum p_j (log p_j - log q_j) has terms of both signs that
 * cancel when student and teacher are close (late in training), losing
 * about 1e-4 of the value in float32. Since sum_j (q_j - p_j) = 0, the same
 * KL is sum_j p_j psi(x_j) with x_j = log q_j - log p_j and
 * psi(x) = exp(x) - 1 - x >= 0: no cancellation between terms. x_j is taken
 * from the logit difference (s_j - t_j)/T minus a row constant whose
 * rounding error cancels to first order, because the derivative of the sum
 * in that constant is sum_j (q_j - p_j) = 0. For |x_j| > 0.5 the term is
 * written q_j - p_j - p_j x_j, which cannot overflow: where a teacher
 * probability underflows to 0 its term is q_j, the limit of the exact one.
 */
export function distillationPerExample(student: tf.Tensor2D, teacher: tf.Tensor2D, temperature: number): tf.Tensor1D {
  const s = scaled(student, temperature);
  const t = scaled(teacher, temperature);
  const studentRows = normalise(s);
  const teacherRows = normalise(t);
  const logRatio = tf.sub(tf.sub(s, t), tf.sub(studentRows.logSumExp, teacherRows.logSumExp));
  const p = tf.exp(teacherRows.logProbs);
  const q = tf.exp(tf.add(teacherRows.logProbs, logRatio));
  // Clipped so that the branch not taken stays finite in the forward and
  // backward pass (0 * Infinity would poison the gradient).
  const near = tf.mul(p, psiSeries(tf.clipByValue(logRatio, -SERIES_LIMIT, SERIES_LIMIT) as tf.Tensor2D));
  const far = tf.sub(tf.sub(q, p), tf.mul(p, logRatio));
  // A 0/1 mask from tf.step, which has a (zero) gradient; comparison ops
  // have none, and tfjs refuses to differentiate through them.
  const useSeries = tf.step(tf.sub(SERIES_LIMIT, tf.abs(logRatio)));
  const terms = tf.add(tf.mul(useSeries, near), tf.mul(tf.sub(1, useSeries), far));
  return tf.mul(tf.sum<tf.Tensor1D>(terms, 1), temperature * temperature);
}
