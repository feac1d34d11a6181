/**
 * Random crop after zero padding and random horizontal flip, applied to a
 * whole batch as one gather on the padded tensor. The offsets and flips are
 * drawn in JavaScript from the generator the caller keys by (seed, stream,
 * epoch, batch), so they are the same on every backend and after a resume.
 *
 * The batch is already normalised, so zero padding fills with the dataset
 * mean rather than black: the usual choice when augmenting normalised data.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../core/random.js';
import type { AugmentConfig } from '../../schemas/training.js';

export function isAugmenting(config: AugmentConfig): boolean {
  return config.cropPadding > 0 || config.flip;
}

/** A new augmented batch; the input is left alone (the caller disposes both). */
export function augmentBatch(x: tf.Tensor4D, config: AugmentConfig, rng: Rng): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const pad = config.cropPadding;
  const ph = h + 2 * pad;
  const pw = w + 2 * pad;
  const indices = new Int32Array(n * h * w);
  let k = 0;
  for (let b = 0; b < n; b++) {
    const dy = pad > 0 ? rng.int(2 * pad + 1) : 0;
    const dx = pad > 0 ? rng.int(2 * pad + 1) : 0;
    const flip = config.flip && rng.nextFloat() < 0.5;
    for (let i = 0; i < h; i++) {
      const rowBase = (b * ph + i + dy) * pw + dx;
      for (let j = 0; j < w; j++) indices[k++] = rowBase + (flip ? w - 1 - j : j);
    }
  }
  return tf.tidy(() => {
    const padded = pad > 0 ? tf.pad(x, [[0, 0], [pad, pad], [pad, pad], [0, 0]]) : x;
    const pixels = tf.reshape(padded, [n * ph * pw, c]);
    return tf.reshape(tf.gather(pixels, tf.tensor1d(indices, 'int32')), [n, h, w, c]);
  });
}
