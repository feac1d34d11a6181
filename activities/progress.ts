/**
 * How a long stage tells the world where it is. Heartbeats carry the latest
 * checkpoint, so a retry on another worker resumes from it (the SDK throttles
 * them). Progress signals to the workflow let `w2s status` and progress bars
 * show epoch, step and loss; they are rate-limited, and one in flight at a
 * time, so a slow server never queues them up behind training.
 */
import { Context } from '@temporalio/activity';
import { TRAIN_PROGRESS_SIGNAL, type ObjectRef, type TrainProgress } from '../schemas/stages.js';
import { log } from '../workers/logging.js';

export interface TrainHeartbeat {
  readonly step: number;
  readonly epoch: number;
  readonly checkpoint?: ObjectRef;
}

export class ProgressReporter {
  private lastSignalAt = 0;
  private inFlight: Promise<void> | undefined;

  constructor(private readonly everySeconds: number) {}

  heartbeat(details: TrainHeartbeat): void {
    Context.current().heartbeat(details);
  }

  /** Sends progress to the workflow if enough time has passed (or `force`), never two at once. */
  signal(progress: TrainProgress, force = false): void {
    const now = Date.now();
    if (this.inFlight || (!force && now - this.lastSignalAt < this.everySeconds * 1000)) return;
    const workflowId = Context.current().info.workflowExecution?.workflowId;
    if (!workflowId) return;
    this.lastSignalAt = now;
    this.inFlight = Context.current()
      .client.workflow.getHandle(workflowId)
      .signal(TRAIN_PROGRESS_SIGNAL, progress)
      .catch((error: unknown) => log.warn({ err: error, workflowId }, 'progress signal not delivered'))
      .finally(() => {
        this.inFlight = undefined;
      });
  }

  /** Waits for the last signal, so the final progress is seen before the stage returns. */
  async flush(): Promise<void> {
    await this.inFlight;
  }
}
