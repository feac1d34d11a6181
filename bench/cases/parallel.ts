/**
 * Both cores: data-parallel training (ml/parallel, two worker replicas) and
 * sharded labeling, beside PyTorch on two threads, and beside the same work
 * in one process on one core (the scaling figure; the target is 1.7x). The
 * three alternate sample by sample; machine/parallel-headroom, measured in
 * the same run, says what a second core was worth at the time.
 */
import { DataParallelTrainer, type ReplicaSpec, type ShardBatch } from '../../ml/parallel/index.js';
import { interleaved, median, rate, spread, throughputRows, type Rate } from '../measure.js';
import type { BenchCase, BenchResult } from '../types.js';
import { FORWARD_BATCH, forwardWorkload, LOSS, NETWORKS, OPTIMIZER, syntheticBatch, TRAIN_BATCH, trainingWorkload } from '../workloads.js';

function spec(network: string): ReplicaSpec {
  const net = NETWORKS[network]!;
  return { model: network, inputShape: net.shape, numClasses: net.classes, seed: 0, optimizer: OPTIMIZER, loss: LOSS, backend: 'wasm' };
}

function scalingRow(name: string, two: readonly Rate[], one: readonly Rate[]): BenchResult {
  const speedups = two.map((r, i) => r.perSecond / one[i]!.perSecond);
  return {
    name,
    value: median(two.map((r) => r.perSecond)) / median(one.map((r) => r.perSecond)),
    unit: 'x one core',
    note: `against the same work in one process, interleaved; per-sample ${spread(speedups, 2)} (target 1.7)`,
  };
}

export function parallelTrainCase(network: string): BenchCase {
  const name = `train/${network}/2-workers`;
  return {
    name,
    description: `${network}, batch ${TRAIN_BATCH} split over 2 worker replicas, gradients averaged in fixed order`,
    async run(context) {
      const trainer = await DataParallelTrainer.start(spec(network), 2);
      const local = trainingWorkload(network);
      try {
        const data = syntheticBatch(network, TRAIN_BATCH, 0);
        const shards = trainer.split({ images: data.images, rows: TRAIN_BATCH, labels: data.labels } satisfies ShardBatch);
        let steps = 0;
        const parallelStep = async () => void (await trainer.step(shards, OPTIMIZER.lr, ++steps, 0));
        for (let i = 0; i < 2; i++) {
          await parallelStep();
          local.step();
        }
        const calls = context.quick ? 2 : 5;
        const torch = await context.torch(2);
        const oneCore: Rate[] = [];
        const samples = await interleaved(
          context.repeats,
          async () => {
            oneCore.push(await rate(calls, TRAIN_BATCH, () => local.step()));
            return rate(calls, TRAIN_BATCH, parallelStep);
          },
          torch && (() => torch.sample(`train/${network}`, calls)),
        );
        return [...throughputRows(name, samples, { cpuTime: false }), scalingRow(`${name}/scaling`, samples.ours, oneCore)];
      } finally {
        local.dispose();
        await trainer.close();
      }
    },
  };
}

export function parallelForwardCase(network: string): BenchCase {
  const name = `forward/${network}/2-workers`;
  return {
    name,
    description: `${network}: labeling ${FORWARD_BATCH * 2} images sharded over 2 worker replicas`,
    async run(context) {
      const trainer = await DataParallelTrainer.start(spec(network), 2);
      const local = forwardWorkload(network);
      try {
        const rows = FORWARD_BATCH * 2;
        const { images } = syntheticBatch(network, rows, 1);
        await trainer.predict(images, rows, FORWARD_BATCH);
        local.run();
        const torch = await context.torch(2);
        const oneCore: Rate[] = [];
        const samples = await interleaved(
          context.repeats,
          async () => {
            oneCore.push(await rate(2, FORWARD_BATCH, () => void local.run()));
            return rate(1, rows, async () => void (await trainer.predict(images, rows, FORWARD_BATCH)));
          },
          torch && (() => torch.sample(`forward/${network}`, 2)),
        );
        return [...throughputRows(name, samples, { cpuTime: false }), scalingRow(`${name}/scaling`, samples.ours, oneCore)];
      } finally {
        local.dispose();
        await trainer.close();
      }
    },
  };
}
