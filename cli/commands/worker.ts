import type { Command } from 'commander';
import type { TemporalFlags } from '../../core/temporal-settings.js';
import { QUEUES } from '../../schemas/names.js';
import { settingsFrom, withTemporalOptions } from '../temporal-options.js';
import { workerHost } from '../worker-host.js';

interface WorkerFlags extends TemporalFlags {
  readonly queues: string;
  readonly identity?: string;
  readonly cpuConcurrency: string;
  readonly healthPort?: string;
  readonly exitWhenIdle?: string;
  readonly metricsPort?: string;
  readonly requireGpu?: boolean;
  readonly threads?: string;
}

export function registerWorker(program: Command): void {
  withTemporalOptions(program.command('worker'))
    .description('run a worker until SIGINT/SIGTERM (training checkpoints before the process exits)')
    .option('--queues <list>', `task queues to poll, comma-separated (${QUEUES.join(', ')})`, QUEUES.join(','))
    .option('--identity <name>', 'worker identity recorded in lineage (default pid@host)')
    .option('--cpu-concurrency <n>', 'short stages in flight at once on w2s-cpu', '2')
    .option('--health-port <port>', 'serve /readyz and /livez for probes on this port (default: W2S_HEALTH_PORT, else off)')
    .option('--metrics-port <port>', 'serve Prometheus metrics at /metrics on this port: the SDK\'s (task latencies, slots, polls) and training images/s, epoch and checkpoint times (default: W2S_METRICS_PORT, else off)')
    .option('--exit-when-idle <seconds>', 'exit once no activity has run for this long (default: W2S_EXIT_WHEN_IDLE_SECONDS, else never)')
    .option('--require-gpu', 'exit at start unless a GPU is seen and the CUDA backend is active (also W2S_REQUIRE_GPU=1)')
    .option('--threads <n>', 'intra-op threads per op on the native backend (also W2S_THREADS; default every core)')
    .action(async (flags: WorkerFlags) => {
      if (flags.threads !== undefined) process.env.W2S_THREADS = flags.threads;
      const { healthPortFrom, idleMsFrom, runWorkerProcess } = await workerHost();
      const exitWhenIdleMs = idleMsFrom(flags.exitWhenIdle ?? process.env.W2S_EXIT_WHEN_IDLE_SECONDS, flags.exitWhenIdle !== undefined ? '--exit-when-idle' : undefined);
      const healthPort = flags.healthPort !== undefined ? healthPortFrom(flags.healthPort, '--health-port') : healthPortFrom(process.env.W2S_HEALTH_PORT);
      const metricsPort = healthPortFrom(flags.metricsPort ?? process.env.W2S_METRICS_PORT, flags.metricsPort !== undefined ? '--metrics-port' : 'W2S_METRICS_PORT');
      await runWorkerProcess({
        ...(metricsPort !== undefined ? { metricsPort } : {}),
        ...(flags.requireGpu ? { requireGpu: true } : {}),
        ...(healthPort !== undefined ? { healthPort } : {}),
        ...(exitWhenIdleMs !== undefined ? { exitWhenIdleMs } : {}),
        settings: settingsFrom(flags),
        queues: flags.queues.split(',').map((q) => q.trim()).filter(Boolean),
        cpuConcurrency: Number(flags.cpuConcurrency),
        ...(flags.identity ? { identity: flags.identity } : {}),
      });
    });
}
