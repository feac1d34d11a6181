/**
 * Ready-made run configs. `quick` is the embedded default's job, sized to
 * finish in minutes on two cores and to show the effect the project is about:
 * on real Fashion-MNIST a few-shot linear teacher (5 labelled images per
 * class) labels about 6,000 images, and `cnn` students learning from those
 * labels alone (hard labels, AdaptConf) end above their teacher on the 10,000
 * test images (README.md and RESULTS.md give the margins per seed). The
 * students train with random crops, which makes the pixel-exact mistakes of a
 * linear teacher harder to copy.
 */
import type { RunConfigInput } from '../schemas/pipeline.js';

export const FASHION_MNIST = '/usr/share/datasets/fashion-mnist';

export interface PresetOptions {
  readonly data: string;
  readonly storage: string;
  readonly seed: number;
}

export const PRESETS: Readonly<Record<string, (options: PresetOptions) => RunConfigInput>> = {
  quick: ({ data, storage, seed }) => ({
    name: 'quickstart',
    seed,
    storage,
    dataset: {
      source: data,
      format: 'idx',
      limit: { train: 6200, test: 10000 },
      // W is 4% of the 6,200 (enough for 5 per class), S the other 96%.
      splits: { weak: 0.04, transfer: 0.96, validation: 0 },
      fewShot: { perClass: 5, splits: ['weak'] },
      shardSize: 1000,
    },
    teacher: { model: 'linear', epochs: 20, batchSize: 32, optimizer: { name: 'sgd', lr: 0.01, momentum: 0.9, weightDecay: 5e-4 } },
    strong: { model: 'cnn', epochs: 2, batchSize: 64, optimizer: { name: 'adam', lr: 1e-3, weightDecay: 5e-4 }, schedule: { name: 'cosine' }, augment: { cropPadding: 2 } },
    students: [{ method: 'ceiling' }, { method: 'hard' }, { method: 'adaptconf', theta: 0.5 }],
    execution: { trainParallelism: 1, labelParallelism: 2 },
  }),
};
