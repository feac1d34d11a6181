/**
 * How a long stage tells the world where it is: heartbeats that carry the
 * latest checkpoint (a retry on another worker resumes from it) and how the
 * training is going (epoch, step, loss, speed), at most every
 * `everySeconds` except when a checkpoint was written. `w2s status` reads the
 * last one the server holds. Nothing is sent to the workflow, so a training
 * of any length adds nothing to the run's history.
 */
import type { ObjectRef, TrainProgress } from '../schemas/stages.js';
import type { StageRuntime } from './runtime.js';

export interface TrainHeartbeat {
  readonly step: number;
  readonly epoch: number;
  readonly checkpoint?: ObjectRef;
  /** Absent before the first step of an attempt. */
  readonly progress?: TrainProgress;
}

export class ProgressReporter {
  private progress: TrainProgress | undefined;
  private lastSentAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly runtime: StageRuntime,
    private readonly everySeconds: number,
  ) {}

  /**
   * Heartbeats with the position and checkpoint and the latest progress
   * (`update` replaces it) if `everySeconds` have passed, or at once when
   * `force` (a new checkpoint, which a retry must not miss).
   */
  heartbeat(details: Omit<TrainHeartbeat, 'progress'>, update?: TrainProgress, force = false): void {
    if (update) this.progress = update;
    const now = Date.now();
    if (!force && now - this.lastSentAt < this.everySeconds * 1000) return;
    this.lastSentAt = now;
    this.runtime.heartbeat(this.progress ? { ...details, progress: this.progress } : details);
  }
}
