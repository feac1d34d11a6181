/**
 * Small learnable image sets for training tests: class k is a bright bar at
 * row band k over seeded noise, so a few steps of training already separate
 * the classes.
 */
import { Rng } from '../../../core/random.js';
import { ArraySource } from '../../../ml/data/array-source.js';
import type { ImageShape } from '../../../ml/data/batches.js';

export interface SyntheticOptions {
  readonly size: number;
  readonly shape: ImageShape;
  readonly numClasses: number;
  readonly seed: number;
  /** Add teacher logits that favour the true class (with some seeded mistakes). */
  readonly teacher?: boolean;
  /** Brightness of the class bar over noise in 0..95; lower is harder. Default 160. */
  readonly contrast?: number;
}

export function syntheticSource({ size, shape, numClasses, seed, teacher, contrast = 160 }: SyntheticOptions): ArraySource {
  const [h, w, c] = shape;
  const rng = Rng.keyed(seed, 'synthetic');
  const images = new Uint8Array(size * h * w * c);
  const labels = new Int32Array(size);
  const teacherLogits = teacher ? new Float32Array(size * numClasses) : undefined;
  const band = Math.max(1, Math.floor(h / numClasses));
  for (let i = 0; i < size; i++) {
    const label = rng.int(numClasses);
    labels[i] = label;
    for (let y = 0; y < h; y++) {
      const lit = Math.floor(y / band) === label;
      for (let x = 0; x < w; x++) {
        for (let ch = 0; ch < c; ch++) images[((i * h + y) * w + x) * c + ch] = (lit ? contrast : 0) + rng.int(96);
      }
    }
    if (teacherLogits) {
      const guess = rng.nextFloat() < 0.8 ? label : rng.int(numClasses);
      for (let k = 0; k < numClasses; k++) teacherLogits[i * numClasses + k] = (k === guess ? 2 : 0) + rng.normal() * 0.5;
    }
  }
  return new ArraySource({
    images,
    shape,
    numClasses,
    labels,
    ...(teacherLogits ? { teacherLogits } : {}),
    normalization: { mean: new Array<number>(c).fill(0.4), std: new Array<number>(c).fill(0.3) },
  });
}
