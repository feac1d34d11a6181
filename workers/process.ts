/**
 * A worker process from start to exit: choose the backend, connect, poll the
 * given queues until SIGINT/SIGTERM. On a shutdown signal running training
 * is cancelled, writes its checkpoint, and fails with a retryable error so
 * another worker resumes it.
 */
import { initBackend } from '../ml/backend.js';
import { connectWorker, type TemporalSettings } from './connection.js';
import { installRuntimeLogging, log } from './logging.js';
import { createWorkers, runWorkers } from './worker.js';

export interface WorkerProcessOptions {
  readonly settings: TemporalSettings;
  readonly queues: readonly string[];
  readonly identity?: string;
  readonly cpuConcurrency?: number;
}

export async function runWorkerProcess(options: WorkerProcessOptions): Promise<void> {
  installRuntimeLogging();
  const backend = await initBackend();
  log.info({ backend }, `tensorflow.js backend: ${backend.name} (${backend.device})`);
  const connection = await connectWorker(options.settings);
  try {
    const workers = await createWorkers({
      connection,
      namespace: options.settings.namespace,
      queues: options.queues,
      ...(options.identity ? { identity: options.identity } : {}),
      ...(options.cpuConcurrency ? { cpuConcurrency: options.cpuConcurrency } : {}),
    });
    log.info({ address: options.settings.address, queues: options.queues }, 'worker polling');
    await runWorkers(workers);
  } finally {
    await connection.close();
  }
}
