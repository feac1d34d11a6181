/**
 * Memory: live tensors after each epoch of the real training loop (ml/train,
 * with per-epoch evaluation), which must stay flat, and the bench process's
 * peak resident memory (worker replicas included: they are threads of it).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../core/random.js';
import { ArraySource } from '../../ml/data/array-source.js';
import { train } from '../../ml/train/index.js';
import type { BenchCase } from '../types.js';
import { LOSS, OPTIMIZER } from '../workloads.js';

export const liveTensorsCase: BenchCase = {
  name: 'memory/live-tensors',
  description: 'cnn trained for 3 epochs by ml/train on 28x28 synthetic data: live tensors after each epoch',
  async run(context) {
    const size = context.quick ? 256 : 640;
    const rng = Rng.keyed(0, 'bench', 'live-tensors');
    const images = Uint8Array.from({ length: size * 784 }, () => rng.int(256));
    const labels = Int32Array.from({ length: size }, () => rng.int(10));
    const source = new ArraySource({ images, shape: [28, 28, 1], numClasses: 10, normalization: { mean: [0.5], std: [0.25] }, labels });
    const counts: number[] = [];
    const result = await train({
      config: { model: 'cnn', epochs: 3, batchSize: 64, optimizer: OPTIMIZER, loss: LOSS },
      source,
      evaluation: source,
      stream: 'bench/live-tensors',
      onEpochEnd: () => void counts.push(tf.memory().numTensors),
    });
    result.model.dispose();
    const growth = counts.at(-1)! - counts[0]!;
    return [{ name: 'memory/live-tensors/growth', value: growth, unit: 'tensors', note: `after epochs 1..3: ${counts.join(', ')} (flat = 0)` }];
  },
};

export const peakMemoryCase: BenchCase = {
  name: 'memory/peak-rss',
  description: 'peak resident memory of this bench process so far',
  async run() {
    return [{ name: 'memory/peak-rss', value: process.resourceUsage().maxRSS / 1024, unit: 'MB', note: 'whole bench run up to here, worker replicas included' }];
  },
};
