/**
 * Ready-made run configs. `quick` is the embedded default's job: real
 * Fashion-MNIST, a linear weak teacher, the strong `cnn`, and the ceiling,
 * hard-label and AdaptConf students; sized to finish in minutes on two cores.
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
    dataset: { source: data, format: 'idx', limit: { train: 8000, test: 2000 }, splits: { weak: 0.5, transfer: 0.5, validation: 0 }, shardSize: 1000 },
    teacher: { model: 'linear', epochs: 2, batchSize: 64, optimizer: { name: 'sgd', lr: 0.01, momentum: 0.9, weightDecay: 5e-4 } },
    strong: { model: 'cnn', epochs: 3, batchSize: 64, optimizer: { name: 'adam', lr: 1e-3, weightDecay: 5e-4 }, schedule: { name: 'cosine' } },
    students: [{ method: 'ceiling' }, { method: 'hard' }, { method: 'adaptconf', theta: 0.5 }],
    execution: { trainParallelism: 1, labelParallelism: 2 },
  }),
};
