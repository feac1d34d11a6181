/**
 * Training throughput on one core: images per second (wall and CPU time)
 * and achieved GFLOP/s of the ml/train step, beside PyTorch on one thread.
 */
import { countFlops } from '../flops.js';
import { interleaved, median, rate, throughputRows } from '../measure.js';
import { caseThreads } from '../threads.js';
import type { BenchCase } from '../types.js';
import { TRAIN_BATCH, trainingWorkload } from '../workloads.js';

export function trainStepCase(network: string): BenchCase {
  const name = `train/${network}/1-core`;
  return {
    name,
    description: `${network}, batch ${TRAIN_BATCH}, SGD momentum: one training step in one process`,
    async run(context) {
      const { label, threads } = caseThreads(context.backend);
      const rowName = `train/${network}/${label}`;
      const work = trainingWorkload(network);
      try {
        for (let i = 0; i < 3; i++) work.step();
        const flopsPerStep = await countFlops(() => work.step());
        const steps = context.quick ? 2 : 6;
        const torch = await context.torch(threads);
        const samples = await interleaved(
          context.repeats,
          () => rate(steps, TRAIN_BATCH, () => work.step()),
          torch && (() => torch.sample(`train/${network}`, steps)),
        );
        const rows = throughputRows(rowName, samples, { cpuTime: true });
        const toGflops = (imagesPerSecond: number) => (imagesPerSecond / TRAIN_BATCH) * flopsPerStep * 1e-9;
        const cpuRow = rows[1]!;
        rows.push({
          name: `${rowName}/gflops`,
          value: toGflops(median(samples.ours.map((r) => r.perCpuSecond))),
          unit: 'GFLOP/cpu-s',
          ...(cpuRow.baseline !== undefined ? { baseline: toGflops(cpuRow.baseline), ratio: cpuRow.ratio! } : {}),
          note: `${(flopsPerStep / TRAIN_BATCH / 1e6).toFixed(1)} MFLOP per image (conv + matmul, forward and backward)`,
        });
        return rows;
      } finally {
        work.dispose();
      }
    },
  };
}
