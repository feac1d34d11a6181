/**
 * Checkpoint cost: encode a training checkpoint (weights, batch-norm
 * statistics, optimizer slots, position) and write it to the local store,
 * then read, decode and restore it into a fresh model; and the save as a
 * share of training time between checkpoints (one epoch of the 30000-image
 * transfer split at the 1-core training rate measured here).
 */
import { openStore } from '../../storage/index.js';
import { buildModel } from '../../ml/models/registry.js';
import { createOptimizer, decodeCheckpoint, emptyTrace, encodeCheckpoint, restoreCheckpoint } from '../../ml/train/index.js';
import { resolveTrainConfig } from '../../ml/train/train.js';
import { median, rate, spread } from '../measure.js';
import type { BenchCase } from '../types.js';
import { LOSS, NETWORKS, OPTIMIZER, TRAIN_BATCH, trainingWorkload } from '../workloads.js';

const EPOCH_IMAGES = 30000;

export function checkpointCase(network: string): BenchCase {
  return {
    name: `checkpoint/${network}`,
    description: `${network}: checkpoint save (encode + store put) and restore (get + decode + load)`,
    async run(context) {
      const store = openStore(context.scratchDir);
      const work = trainingWorkload(network);
      const net = NETWORKS[network]!;
      const config = resolveTrainConfig({ model: network, epochs: 1, batchSize: TRAIN_BATCH, optimizer: OPTIMIZER, loss: LOSS });
      const fresh = buildModel(network, { inputShape: net.shape, numClasses: net.classes, seed: 1 });
      const freshOptimizer = createOptimizer(OPTIMIZER, fresh.params.trainable());
      try {
        work.step();
        const trainRate = await rate(context.quick ? 2 : 4, TRAIN_BATCH, () => work.step());
        const save: number[] = [];
        const restore: number[] = [];
        let size = 0;
        for (let i = 0; i < context.repeats; i++) {
          let start = performance.now();
          const bytes = encodeCheckpoint(work.model, work.optimizer, {
            config,
            stream: 'bench',
            position: { step: i + 1, epoch: 0, batchInEpoch: i + 1 },
            history: [],
            tally: { batches: 0, examples: 0, lossSums: {}, correct: 0, labelled: 0, agreeing: 0, withTeacher: 0, seconds: 0, lastLr: 0 },
            trace: emptyTrace(),
          });
          await store.put(`checkpoints/${network}-${i}.ckpt`, bytes);
          save.push(performance.now() - start);
          size = bytes.length;
          start = performance.now();
          restoreCheckpoint(decodeCheckpoint(await store.get(`checkpoints/${network}-${i}.ckpt`)), fresh, freshOptimizer);
          restore.push(performance.now() - start);
        }
        const epochMs = (EPOCH_IMAGES / trainRate.perSecond) * 1000;
        return [
          { name: `checkpoint/${network}/save`, value: median(save), unit: 'ms', note: `${(size / 1e6).toFixed(2)} MB; ${spread(save, 1)}` },
          { name: `checkpoint/${network}/restore`, value: median(restore), unit: 'ms', note: spread(restore, 1) },
          {
            name: `checkpoint/${network}/share-of-epoch`,
            value: (100 * median(save)) / epochMs,
            unit: '%',
            note: `one save per epoch of ${EPOCH_IMAGES} images at ${trainRate.perSecond.toFixed(0)} images/s (target < 2%)`,
          },
        ];
      } finally {
        freshOptimizer.dispose();
        fresh.dispose();
        work.dispose();
      }
    },
  };
}
