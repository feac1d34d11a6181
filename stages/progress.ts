/**
 * How a long stage tells the world where it is. Heartbeats carry the latest
 * checkpoint, so a retry on another worker resumes from it (the runner
 * throttles them). Progress reports let `w2s status` and progress bars show
 * epoch, step and loss; they are rate-limited, and one in flight at a time,
 * so a slow server never queues them up behind training.
 */
import type { ObjectRef, TrainProgress } from '../schemas/stages.js';
import type { StageRuntime } from './runtime.js';

export interface TrainHeartbeat {
  readonly step: number;
  readonly epoch: number;
  readonly checkpoint?: ObjectRef;
}

export class ProgressReporter {
  private lastSignalAt = 0;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly runtime: StageRuntime,
    private readonly everySeconds: number,
  ) {}

  heartbeat(details: TrainHeartbeat): void {
    this.runtime.heartbeat(details);
  }

  /** Sends progress to the run if enough time has passed (or `force`), never two at once. */
  signal(progress: TrainProgress, force = false): void {
    const now = Date.now();
    if (this.inFlight || (!force && now - this.lastSignalAt < this.everySeconds * 1000)) return;
    this.lastSignalAt = now;
    this.inFlight = this.runtime.reportProgress(progress).finally(() => {
      this.inFlight = undefined;
    });
  }

  /** Waits for the last report, so the final progress is seen before the stage returns. */
  async flush(): Promise<void> {
    await this.inFlight;
  }
}
