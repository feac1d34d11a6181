import type { Command } from 'commander';
import type { TemporalFlags } from '../../workers/connection.js';
import { runWorkerProcess } from '../../workers/process.js';
import { QUEUES } from '../../schemas/names.js';
import { settingsFrom, withTemporalOptions } from '../temporal-options.js';

interface WorkerFlags extends TemporalFlags {
  readonly queues: string;
  readonly identity?: string;
  readonly cpuConcurrency: string;
}

export function registerWorker(program: Command): void {
  withTemporalOptions(program.command('worker'))
    .description('run a worker until SIGINT/SIGTERM (training checkpoints before the process exits)')
    .option('--queues <list>', `task queues to poll, comma-separated (${QUEUES.join(', ')})`, QUEUES.join(','))
    .option('--identity <name>', 'worker identity recorded in lineage (default pid@host)')
    .option('--cpu-concurrency <n>', 'short stages in flight at once on w2s-cpu', '2')
    .action(async (flags: WorkerFlags) => {
      await runWorkerProcess({
        settings: settingsFrom(flags),
        queues: flags.queues.split(',').map((q) => q.trim()).filter(Boolean),
        cpuConcurrency: Number(flags.cpuConcurrency),
        ...(flags.identity ? { identity: flags.identity } : {}),
      });
    });
}
