/**
 * What the CLI needs from the worker side, and nothing more: `w2s worker`
 * runs a worker process, the embedded default (`w2s run` with no
 * TEMPORAL_ADDRESS, `w2s quickstart`, local sweeps and pretraining) starts a
 * dev server and workers in this process, and the workers' logger takes the
 * `--log-level`. The CLI declares the interface; workers/host.ts implements
 * it; the composition root (bin/w2s.ts) hands it in with `provideWorkerHost`,
 * so cli/ never imports workers/ and the commands that only talk to a server
 * (`w2s status`, `w2s list`) never load the worker stack.
 */
import type { WorkerProcessOptions } from '../core/worker-process-options.js';

export interface WorkerLog {
  info(fields: object, message: string): void;
}

export interface LocalDevServer {
  readonly address: string;
  /** Stops the server and waits for it to exit. */
  stop(): Promise<void>;
}

export interface InProcessWorkers {
  /** Stops the workers (running activities are cancelled and checkpoint), waits for them and closes their connection; later calls wait for the same stop. */
  stop(): Promise<void>;
}

/** `w2s worker`'s options for the worker process it runs. */
export type WorkerProcessRequest = WorkerProcessOptions;

export interface WorkerHost {
  /** The workers' logger (JSON lines). */
  readonly log: WorkerLog;
  setLogLevel(level: string): void;
  /** Sends the workers' logs to `file` instead of stderr. */
  logToFile(file: string): void;
  /** Routes the Temporal SDK's own logs into the workers' logger. */
  installRuntimeLogging(): void;
  /** A local Temporal dev server; history in `dbFile` (SQLite) when given, else in memory. */
  startDevServer(options: { readonly dbFile?: string }): Promise<LocalDevServer>;
  /** Workers polling `queues` in this process until stopped. */
  startWorkers(options: { readonly address: string; readonly namespace: string; readonly queues: readonly string[] }): Promise<InProcessWorkers>;
  /** A worker process until SIGINT/SIGTERM (`w2s worker`). */
  runWorkerProcess(request: WorkerProcessRequest): Promise<void>;
  /** A port from a flag or the environment (`where` names it in the error), or undefined when not given. */
  healthPortFrom(value: string | undefined, where?: string): number | undefined;
  /** An idle time in ms from seconds given by a flag or the environment, or undefined when not given. */
  idleMsFrom(value: string | undefined, where?: string): number | undefined;
}

/** Loads the host on first use: most commands never need it. */
export type WorkerHostLoader = () => Promise<WorkerHost>;

let loadHost: WorkerHostLoader | undefined;
let loaded: Promise<WorkerHost> | undefined;

/** Called once by the composition root (bin/w2s.ts), or by a test that runs the embedded default in its own process. */
export function provideWorkerHost(loader: WorkerHostLoader): void {
  loadHost = loader;
  loaded = undefined;
}

export function workerHost(): Promise<WorkerHost> {
  if (!loadHost) return Promise.reject(new Error('no worker host: the w2s command (bin/w2s.ts) provides one with provideWorkerHost before running a command'));
  loaded ??= loadHost();
  return loaded;
}
