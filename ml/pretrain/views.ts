/**
 * Two augmented views of a batch for contrastive pretraining: random
 * resized crop (with horizontal flip folded into the crop box), brightness
 * and contrast jitter, and random erasing. Every random number is drawn in
 * JavaScript from the generator the caller keys (seed, stream, epoch,
 * batch), in a fixed order per image, and the pixel work runs batched on the
 * backend (one cropAndResize, elementwise jitter, one mask), so the views are
 * the same on every backend and after a resume.
 *
 * Images are dataset-normalised: brightness is an offset in those units,
 * contrast scales around each image's mean, and erased pixels become 0
 * (the dataset mean).
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../core/random.js';
import { ViewAugmentSchema, type ViewAugment, type ViewAugmentInput } from '../../schemas/pretrain.js';

export { ViewAugmentSchema, type ViewAugment, type ViewAugmentInput };

/** One random box in normalised [0, 1] coordinates of the given area fraction and aspect ratio range. */
function randomBox(rng: Rng, scale: readonly [number, number], ratio: readonly [number, number]): [number, number, number, number] {
  for (let attempt = 0; attempt < 10; attempt++) {
    const area = scale[0] + (scale[1] - scale[0]) * rng.nextFloat();
    const logRatio = Math.log(ratio[0]) + (Math.log(ratio[1]) - Math.log(ratio[0])) * rng.nextFloat();
    const r = Math.exp(logRatio);
    const height = Math.sqrt(area / r);
    const width = Math.sqrt(area * r);
    if (height <= 1 && width <= 1) {
      const top = (1 - height) * rng.nextFloat();
      const left = (1 - width) * rng.nextFloat();
      return [top, left, top + height, left + width];
    }
  }
  return [0, 0, 1, 1];
}

/** One augmented view of every image in `x` (the caller disposes it). */
export function augmentView(x: tf.Tensor4D, input: ViewAugmentInput, rng: Rng): tf.Tensor4D {
  const config = ViewAugmentSchema.parse(input);
  const [n, h, w] = x.shape;
  const boxes = new Float32Array(n * 4);
  const brightness = new Float32Array(n);
  const contrast = new Float32Array(n);
  const keep = new Float32Array(n * h * w).fill(1);
  for (let i = 0; i < n; i++) {
    const [y1, x1, y2, x2] = randomBox(rng, config.cropScale, config.cropRatio);
    // cropAndResize mirrors a box whose left edge lies right of its right edge.
    const flip = config.flip && rng.nextFloat() < 0.5;
    boxes.set(flip ? [y1, x2, y2, x1] : [y1, x1, y2, x2], i * 4);
    brightness[i] = config.brightness * (2 * rng.nextFloat() - 1);
    contrast[i] = 1 + config.contrast * (2 * rng.nextFloat() - 1);
    if (config.eraseProbability > 0 && rng.nextFloat() < config.eraseProbability) {
      const [ey1, ex1, ey2, ex2] = randomBox(rng, config.eraseScale, [0.3, 1 / 0.3]);
      const rows = [Math.floor(ey1 * h), Math.ceil(ey2 * h)];
      const cols = [Math.floor(ex1 * w), Math.ceil(ex2 * w)];
      for (let r = rows[0]!; r < rows[1]!; r++) keep.fill(0, (i * h + r) * w + cols[0]!, (i * h + r) * w + cols[1]!);
    }
  }
  return tf.tidy(() => {
    const cropped = tf.image.cropAndResize(x, tf.tensor2d(boxes, [n, 4]), tf.range(0, n, 1, 'int32') as tf.Tensor1D, [h, w], 'bilinear');
    const mean = tf.mean(cropped, [1, 2, 3], true);
    const jittered = tf.add(tf.add(tf.mul(tf.sub(cropped, mean), tf.tensor4d(contrast, [n, 1, 1, 1])), mean), tf.tensor4d(brightness, [n, 1, 1, 1]));
    return tf.mul(jittered, tf.tensor4d(keep, [n, h, w, 1])) as tf.Tensor4D;
  });
}

/** The two views of a SimCLR step: the second draws where the first left the generator. */
export function contrastiveViews(x: tf.Tensor4D, input: ViewAugmentInput, rng: Rng): [tf.Tensor4D, tf.Tensor4D] {
  const first = augmentView(x, input, rng);
  return [first, augmentView(x, input, rng)];
}
