/**
 * The embedded default: everything in one process. It uses TEMPORAL_ADDRESS
 * when set, else starts a local dev server; runs workers for both task
 * queues in-process; runs what it is given (one pipeline, a sweep); shuts
 * everything down.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { initBackend } from '../ml/backend.js';
import type { RunConfig } from '../schemas/pipeline.js';
import type { PipelineResult } from '../schemas/stages.js';
import { startDevServer, type DevServer } from '../workers/dev-server.js';
import { installRuntimeLogging, log } from '../workers/logging.js';
import { QUEUES } from '../schemas/names.js';
import { createWorkers, runWorkers } from '../workers/worker.js';
import { followRun } from './follow.js';
import { startPipeline } from './start-run.js';

export interface EmbeddedOptions {
  readonly bars: boolean;
  readonly runId?: string;
}

export async function runEmbedded(config: RunConfig, options: EmbeddedOptions): Promise<PipelineResult> {
  return withEmbeddedTemporal(async (client) => {
    const runId = options.runId ?? `${config.name}-${randomUUID().slice(0, 8)}`;
    const handle = await startPipeline(client, config, runId);
    log.info({ runId }, 'pipeline started');
    return followRun(handle, { bars: options.bars });
  });
}

/** Runs `fn` with a client of a Temporal server whose workers poll in this process; all of it is stopped afterwards. */
export async function withEmbeddedTemporal<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  installRuntimeLogging();
  const backend = await initBackend();
  log.info({ backend }, `tensorflow.js backend: ${backend.name} (${backend.device})`);
  let server: DevServer | undefined;
  let address = process.env.TEMPORAL_ADDRESS;
  if (!address) {
    server = await startDevServer();
    address = server.address;
    log.info({ address }, 'started a local Temporal dev server');
  }
  try {
    const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
    const workerConnection = await NativeConnection.connect({ address });
    try {
      const clientConnection = await Connection.connect({ address });
      try {
        const workers = await createWorkers({ connection: workerConnection, namespace, queues: QUEUES });
        const running = runWorkers(workers);
        try {
          return await fn(new Client({ connection: clientConnection, namespace }));
        } finally {
          for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
          await running;
        }
      } finally {
        await clientConnection.close();
      }
    } finally {
      await workerConnection.close();
    }
  } finally {
    await server?.stop();
  }
}
