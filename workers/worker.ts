/**
 * Workers for the two task queues. `w2s-cpu` runs the workflows and the short
 * stages (ingest, label, evaluate, report); `w2s-gpu` runs training, one
 * activity at a time per process, since one training saturates the device.
 * Both can live in one process (the embedded default) or in separate ones.
 */
import { hostname } from 'node:os';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities, createActivityDeps, stageSettingsFrom, type ActivityDeps } from '../activities/index.js';
import { CPU_QUEUE } from '../schemas/names.js';
import { workflowBundlePath } from './bundle.js';
import { log } from './logging.js';
import { stageLogInterceptors } from './stage-log.js';

export { CPU_QUEUE, GPU_QUEUE, QUEUES } from '../schemas/names.js';

export interface WorkerSetOptions {
  readonly connection: NativeConnection;
  readonly namespace: string;
  readonly queues: readonly string[];
  /** Prefix of each worker's identity, recorded in lineage (defaults to host and pid). */
  readonly identity?: string;
  /** Short stages in flight at once on the CPU queue. */
  readonly cpuConcurrency?: number;
  /** How long running activities may finish after a shutdown signal before they are cancelled (and checkpoint). */
  readonly shutdownGraceMs?: number;
  /** What the activities share (default: built for this process by `workerDeps`). */
  readonly deps?: ActivityDeps;
}

/** The activities' dependencies for a worker process: its identity, and the settings its environment sets. */
export function workerDeps(identity = defaultIdentity()): ActivityDeps {
  return createActivityDeps({ identity, settings: stageSettingsFrom(process.env) });
}

function defaultIdentity(): string {
  return `${process.pid}@${hostname()}`;
}

export async function createWorkers(options: WorkerSetOptions): Promise<Worker[]> {
  const identity = options.identity ?? defaultIdentity();
  const activities = createActivities(options.deps ?? workerDeps(identity));
  const workers: Worker[] = [];
  for (const taskQueue of options.queues) {
    const common = {
      connection: options.connection,
      namespace: options.namespace,
      taskQueue,
      identity: `${identity}/${taskQueue}`,
      activities,
      // One log line per stage start and end, whichever queue runs it.
      interceptors: { activity: [stageLogInterceptors(log)] },
      shutdownGraceTime: options.shutdownGraceMs ?? 0,
      shutdownForceTime: '60 seconds',
      // The SDK holds a heartbeat back for up to 0.8 x the heartbeat timeout (48 s at the default 60 s) before sending
      // it; the training already heartbeats only every `heartbeatSeconds`, so send each at once: `w2s status` then
      // shows progress at most `heartbeatSeconds` old. Heartbeats are calls to the server, not history events.
      maxHeartbeatThrottleInterval: '1 second',
    };
    if (taskQueue === CPU_QUEUE) {
      workers.push(
        await Worker.create({
          ...common,
          workflowBundle: { codePath: await workflowBundlePath() },
          maxConcurrentActivityTaskExecutions: options.cpuConcurrency ?? 2,
        }),
      );
    } else {
      workers.push(await Worker.create({ ...common, maxConcurrentActivityTaskExecutions: 1 }));
    }
  }
  return workers;
}

/**
 * Runs the workers until they are shut down (SIGINT/SIGTERM or `shutdown()`);
 * rejects if one fails. Models the activities kept loaded in `deps` are
 * released once every worker has stopped, so an embedding process gets its
 * memory back.
 */
export async function runWorkers(workers: readonly Worker[], deps?: ActivityDeps): Promise<void> {
  try {
    await Promise.all(workers.map((worker) => worker.run()));
  } finally {
    deps?.models.release();
  }
}
