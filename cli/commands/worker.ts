import type { Command } from 'commander';
import type { TemporalFlags } from '../../workers/connection.js';
import { runWorkerProcess } from '../../workers/process.js';
import { QUEUES } from '../../workers/worker.js';
import { settingsFrom, withTemporalOptions } from '../temporal-options.js';

interface WorkerFlags extends TemporalFlags {
  readonly queues: string;
  readonly identity?: string;
  readonly cpuConcurrency: string;
  readonly requireGpu?: boolean;
  readonly threads?: string;
}

export function registerWorker(program: Command): void {
  withTemporalOptions(program.command('worker'))
    .description('run a worker until SIGINT/SIGTERM (training checkpoints before the process exits)')
    .option('--queues <list>', `task queues to poll, comma-separated (${QUEUES.join(', ')})`, QUEUES.join(','))
    .option('--identity <name>', 'worker identity recorded in lineage (default pid@host)')
    .option('--cpu-concurrency <n>', 'short stages in flight at once on w2s-cpu', '2')
    .option('--require-gpu', 'exit at start unless a GPU is seen and the CUDA backend is active (also W2S_REQUIRE_GPU=1)')
    .option('--threads <n>', 'intra-op threads per op on the native backend (also W2S_THREADS; default every core)')
    .action(async (flags: WorkerFlags) => {
      if (flags.threads !== undefined) process.env.W2S_THREADS = flags.threads;
      await runWorkerProcess({
        ...(flags.requireGpu ? { requireGpu: true } : {}),
        settings: settingsFrom(flags),
        queues: flags.queues.split(',').map((q) => q.trim()).filter(Boolean),
        cpuConcurrency: Number(flags.cpuConcurrency),
        ...(flags.identity ? { identity: flags.identity } : {}),
      });
    });
}
