/**
 * Ready-made run configs. `quick` is the embedded default's job, sized to
 * finish in minutes on two cores and to show the effect the project is about,
 * a strong student going well beyond its weak teacher, for the reason it
 * happens: the student's representation already holds the task's concepts.
 * On real Fashion-MNIST a `linear` teacher learns from 3,000 labelled images
 * (W) and labels 18,000 more (S); the strong students are linear probes on a
 * `cnn` backbone pretrained with labels on a pool of 24,000 other training
 * images that teacher and students never see (a stand-in for a foundation
 * model, pretrained elsewhere). The pool is the same for every seed, so the
 * pretraining is cached after the first run. README.md and RESULTS.md give
 * the results per seed, and what happens to students without such a backbone.
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
      // Of the 60,000 training images: W 5%, S 30%, the pool 40%; the last 25% stay unused, to keep minutes.
      splits: { weak: 0.05, transfer: 0.3, validation: 0, pool: 0.4 },
      shardSize: 5000,
    },
    teacher: { model: 'linear', epochs: 20, batchSize: 32, optimizer: { name: 'sgd', lr: 0.01, momentum: 0.9, weightDecay: 5e-4 } },
    strong: {
      model: 'cnn',
      epochs: 10,
      batchSize: 64,
      optimizer: { name: 'adam', lr: 1e-3, weightDecay: 5e-4 },
      init: { pretrain: { method: 'supervised', epochs: 2, batchSize: 128 }, mode: 'probe' },
    },
    students: [{ method: 'ceiling' }, { method: 'hard' }, { method: 'adaptconf', theta: 0.5 }],
    execution: { trainParallelism: 1, labelParallelism: 2 },
  }),
};
