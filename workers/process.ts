/**
 * A worker process from start to exit: choose the backend, connect, poll the
 * given queues until SIGINT/SIGTERM. On a shutdown signal running training
 * is cancelled, writes its checkpoint, and fails with a retryable error so
 * another worker resumes it. With a health port, probes can ask whether
 * the workers poll (see health.ts); with a metrics port, Prometheus can
 * scrape the SDK's metrics and the training metrics (activities/metrics.ts).
 */
import { BadInputError } from '../core/errors.js';
import { initBackend } from '../ml/backend.js';
import type { Worker } from '@temporalio/worker';
import { findGpus, gpuRequiredByEnv, gpuRequirementProblem } from '../ml/gpus.js';
import type { WorkerProcessOptions } from '../core/worker-process-options.js';
import { connectWorker } from './connection.js';
import { HealthServer } from './health.js';
import { exitWhenIdle } from './idle-exit.js';
import { installRuntimeLogging, log } from './logging.js';
import { createWorkers, runWorkers, workerDeps } from './worker.js';

export async function runWorkerProcess(options: WorkerProcessOptions): Promise<void> {
  // On every interface, like the health endpoint: Prometheus scrapes from outside the machine.
  installRuntimeLogging(options.metricsPort === undefined ? {} : { metricsBindAddress: `0.0.0.0:${options.metricsPort}` });
  if (options.metricsPort !== undefined) log.info({ port: options.metricsPort }, 'metrics endpoint listening (/metrics, Prometheus format)');
  // Up first, so probes see "starting" (not a refused connection) while the backend loads and the bundle is read.
  let workers: Worker[] = [];
  const health =
    options.healthPort === undefined
      ? undefined
      : await HealthServer.start({ port: options.healthPort, workers: () => workers.map((w) => ({ taskQueue: w.options.taskQueue, state: w.getState() })) });
  if (health) log.info({ port: health.port }, 'health endpoint listening (/readyz, /livez)');
  try {
    await runUntilShutdown(options, (created) => (workers = created));
  } finally {
    await health?.close();
  }
}

async function runUntilShutdown(options: WorkerProcessOptions, onCreated: (workers: Worker[]) => void): Promise<void> {
  const backend = await initBackend();
  log.info({ backend }, `tensorflow.js backend: ${backend.name} (${backend.device})`);
  if (options.requireGpu ?? gpuRequiredByEnv()) {
    // A GPU worker that silently trained on the CPU would be slow and look healthy; stop before polling.
    const gpus = await findGpus();
    const problem = gpuRequirementProblem(gpus, backend.package);
    if (problem) throw new BadInputError('worker start', problem);
    log.info({ gpus: gpus.gpus, cudaVisibleDevices: gpus.cudaVisibleDevices }, `GPU requirement met: ${gpus.gpus.length} seen`);
  }
  const connection = await connectWorker(options.settings);
  try {
    const deps = workerDeps(options.identity);
    const workers = await createWorkers({
      deps,
      connection,
      namespace: options.settings.namespace,
      queues: options.queues,
      ...(options.identity ? { identity: options.identity } : {}),
      ...(options.cpuConcurrency ? { cpuConcurrency: options.cpuConcurrency } : {}),
    });
    onCreated(workers);
    log.info({ address: options.settings.address, queues: options.queues }, 'worker polling');
    const idle =
      options.exitWhenIdleMs === undefined
        ? undefined
        : exitWhenIdle(
            workers.map((w) => w.numInFlightActivities$),
            options.exitWhenIdleMs,
            () => {
              log.info({ idleMs: options.exitWhenIdleMs }, 'idle: shutting down');
              for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
            },
          );
    try {
      await runWorkers(workers, deps);
    } finally {
      idle?.cancel();
    }
  } finally {
    await connection.close();
  }
}
