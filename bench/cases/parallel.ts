/**
 * Both cores: data-parallel training (ml/parallel, two worker replicas) and
 * sharded labeling, beside PyTorch on two threads, and beside the same driver
 * with one replica (the scaling figure: the target is 1.7x).
 */
import { DataParallelTrainer, type ReplicaSpec, type ShardBatch } from '../../ml/parallel/index.js';
import { interleaved, median, rate, spread, throughputRows, type Rate } from '../measure.js';
import type { BenchCase, BenchResult } from '../types.js';
import { FORWARD_BATCH, LOSS, NETWORKS, OPTIMIZER, syntheticBatch, TRAIN_BATCH } from '../workloads.js';

function spec(network: string): ReplicaSpec {
  const net = NETWORKS[network]!;
  return { model: network, inputShape: net.shape, numClasses: net.classes, seed: 0, optimizer: OPTIMIZER, loss: LOSS, backend: 'wasm' };
}

function scalingRow(name: string, two: readonly Rate[], one: readonly Rate[]): BenchResult {
  const speedups = two.map((r, i) => r.perSecond / one[i]!.perSecond);
  return { name, value: median(two.map((r) => r.perSecond)) / median(one.map((r) => r.perSecond)), unit: 'x one replica', note: `per-sample ${spread(speedups, 2)}` };
}

export function parallelTrainCase(network: string): BenchCase {
  const name = `train/${network}/2-workers`;
  return {
    name,
    description: `${network}, batch ${TRAIN_BATCH} split over 2 worker replicas, gradients averaged in fixed order`,
    async run(context) {
      const [two, one] = await Promise.all([DataParallelTrainer.start(spec(network), 2), DataParallelTrainer.start(spec(network), 1)]);
      try {
        const data = syntheticBatch(network, TRAIN_BATCH, 0);
        const whole: ShardBatch = { images: data.images, rows: TRAIN_BATCH, labels: data.labels };
        const shards = { two: two.split(whole), one: one.split(whole) };
        let steps = 0;
        const stepOf = (trainer: DataParallelTrainer, batch: readonly ShardBatch[]) => async () => void (await trainer.step(batch, OPTIMIZER.lr, ++steps, 0));
        for (let i = 0; i < 2; i++) {
          await stepOf(two, shards.two)();
          await stepOf(one, shards.one)();
        }
        const calls = context.quick ? 2 : 5;
        const torch = await context.torch(2);
        const oneReplica: Rate[] = [];
        const samples = await interleaved(
          context.repeats,
          async () => {
            oneReplica.push(await rate(calls, TRAIN_BATCH, stepOf(one, shards.one)));
            return rate(calls, TRAIN_BATCH, stepOf(two, shards.two));
          },
          torch && (() => torch.sample(`train/${network}`, calls)),
        );
        return [...throughputRows(name, samples, { cpuTime: false }), scalingRow(`${name}/scaling`, samples.ours, oneReplica)];
      } finally {
        await Promise.all([two.close(), one.close()]);
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
      const [two, one] = await Promise.all([DataParallelTrainer.start(spec(network), 2), DataParallelTrainer.start(spec(network), 1)]);
      try {
        const rows = FORWARD_BATCH * 2;
        const { images } = syntheticBatch(network, rows, 1);
        await two.predict(images, rows, FORWARD_BATCH);
        await one.predict(images, rows, FORWARD_BATCH);
        const torch = await context.torch(2);
        const oneReplica: Rate[] = [];
        const samples = await interleaved(
          context.repeats,
          async () => {
            oneReplica.push(await rate(1, rows, async () => void (await one.predict(images, rows, FORWARD_BATCH))));
            return rate(1, rows, async () => void (await two.predict(images, rows, FORWARD_BATCH)));
          },
          torch && (() => torch.sample(`forward/${network}`, 2)),
        );
        return [...throughputRows(name, samples, { cpuTime: false }), scalingRow(`${name}/scaling`, samples.ours, oneReplica)];
      } finally {
        await Promise.all([two.close(), one.close()]);
      }
    },
  };
}
