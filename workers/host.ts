/**
 * The worker side of the `w2s` command (the CLI's WorkerHost, see
 * cli/worker-host.ts): its logger, a local dev server, workers in the CLI's
 * own process, and `w2s worker`'s worker process. The heavy parts (the
 * worker SDK's workers, the activities and with them TensorFlow.js) load
 * when first asked for.
 */
import { NativeConnection } from '@temporalio/worker';
import type { WorkerProcessOptions } from '../core/worker-process-options.js';
import { healthPortFrom } from './health.js';
import { idleMsFrom } from './idle-exit.js';
import { installRuntimeLogging, log, logToFile, setLogLevel } from './logging.js';

export const workerHost = {
  log,
  setLogLevel,
  logToFile(file: string): void {
    logToFile(file);
  },
  installRuntimeLogging(): void {
    installRuntimeLogging();
  },
  async startDevServer(options: { readonly dbFile?: string }) {
    const { startDevServer } = await import('./dev-server.js');
    return startDevServer(options.dbFile ? { dbFile: options.dbFile } : {});
  },
  async startWorkers(options: { readonly address: string; readonly namespace: string; readonly queues: readonly string[] }) {
    const { createWorkers, runWorkers, workerDeps } = await import('./worker.js');
    const connection = await NativeConnection.connect({ address: options.address });
    try {
      const deps = workerDeps();
      const workers = await createWorkers({ deps, connection, namespace: options.namespace, queues: options.queues });
      const running = runWorkers(workers, deps);
      let stopping: Promise<void> | undefined;
      return {
        stop(): Promise<void> {
          stopping ??= (async () => {
            for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
            try {
              await running;
            } finally {
              await connection.close();
            }
          })();
          return stopping;
        },
      };
    } catch (error) {
      await connection.close();
      throw error;
    }
  },
  async runWorkerProcess(request: WorkerProcessOptions): Promise<void> {
    const { runWorkerProcess } = await import('./process.js');
    await runWorkerProcess(request);
  },
  healthPortFrom,
  idleMsFrom,
};
