/**
 * What starts a worker process: the contract between the CLI (`w2s worker`,
 * which parses the flags) and workers/process.ts (which runs it). It lives
 * below both because cli/ never imports workers/.
 */
import type { TemporalSettings } from './temporal-settings.js';

export interface WorkerProcessOptions {
  readonly settings: TemporalSettings;
  readonly queues: readonly string[];
  readonly identity?: string;
  readonly cpuConcurrency?: number;
  /** Serve `/readyz` and `/livez` on this port (off when absent). */
  readonly healthPort?: number;
  /** Shut down after this long with no activity in flight (off when absent): for workers started per job. */
  readonly exitWhenIdleMs?: number;
  /** Serve Prometheus metrics (the SDK's and training's) on this port (off when absent). */
  readonly metricsPort?: number;
  /** Refuse to start without a usable GPU (default: W2S_REQUIRE_GPU). */
  readonly requireGpu?: boolean;
}
