/** Fashion-MNIST from its IDX files, as in-memory arrays for library-level tests. */
import { join } from 'node:path';
import type { Normalization } from '../../../ml/data/index.js';
import type { ImageShape } from '../../../schemas/manifest.js';
import { readIdxImages, readIdxLabels } from '../../../storage/readers/idx.js';

export interface LabeledImages {
  /** NHWC uint8. */
  readonly images: Uint8Array;
  readonly labels: Int32Array | Uint8Array;
}

export interface FashionMnistData {
  readonly shape: ImageShape;
  readonly numClasses: number;
  readonly normalization: Normalization;
  readonly train: LabeledImages;
  readonly test: LabeledImages;
}

export const FASHION_MNIST_DIR = process.env.FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist';

/** Per-channel statistics of the 60k training images. */
export const FASHION_MNIST_NORMALIZATION = { mean: [0.286], std: [0.353] } as const;

export async function loadFashionMnist(dir = FASHION_MNIST_DIR): Promise<FashionMnistData> {
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all([
    readIdxImages(join(dir, 'train-images-idx3-ubyte.gz')),
    readIdxLabels(join(dir, 'train-labels-idx1-ubyte.gz')),
    readIdxImages(join(dir, 't10k-images-idx3-ubyte.gz')),
    readIdxLabels(join(dir, 't10k-labels-idx1-ubyte.gz')),
  ]);
  return {
    shape: [trainImages.height, trainImages.width, 1],
    numClasses: 10,
    normalization: { mean: [...FASHION_MNIST_NORMALIZATION.mean], std: [...FASHION_MNIST_NORMALIZATION.std] },
    train: { images: trainImages.data, labels: trainLabels },
    test: { images: testImages.data, labels: testLabels },
  };
}
