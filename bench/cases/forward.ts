/** Forward throughput for labeling (inference mode, logits read back), one core. */
import { interleaved, rate, throughputRows } from '../measure.js';
import { caseThreads } from '../threads.js';
import type { BenchCase } from '../types.js';
import { FORWARD_BATCH, forwardWorkload } from '../workloads.js';

export function forwardCase(network: string): BenchCase {
  const name = `forward/${network}/1-core`;
  return {
    name,
    description: `${network}, batch ${FORWARD_BATCH}: inference forward pass in one process`,
    async run(context) {
      const { label, threads } = caseThreads(context.backend);
      const rowName = `forward/${network}/${label}`;
      const work = forwardWorkload(network);
      try {
        work.run();
        const calls = context.quick ? 1 : 3;
        const torch = await context.torch(threads);
        const samples = await interleaved(
          context.repeats,
          () => rate(calls, FORWARD_BATCH, () => void work.run()),
          torch && (() => torch.sample(`forward/${network}`, calls)),
        );
        return throughputRows(rowName, samples, { cpuTime: true });
      } finally {
        work.dispose();
      }
    },
  };
}
