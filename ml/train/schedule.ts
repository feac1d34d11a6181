/**
 * Learning rate per optimizer step: linear warm-up from 0 to lr over
 * `warmupEpochs`, then cosine decay to `minLrFraction * lr` at the last step
 * (or constant). Evaluated per step so a resumed run needs only the step.
 */
import type { ScheduleConfig } from '../../schemas/training.js';

export interface ScheduleContext {
  readonly baseLr: number;
  readonly stepsPerEpoch: number;
  readonly totalSteps: number;
}

/** The rate for update number `step` (0-based). */
export function learningRateAt(schedule: ScheduleConfig, { baseLr, stepsPerEpoch, totalSteps }: ScheduleContext, step: number): number {
  const warmupSteps = Math.min(Math.round(schedule.warmupEpochs * stepsPerEpoch), totalSteps);
  if (step < warmupSteps) return (baseLr * (step + 1)) / warmupSteps;
  if (schedule.name === 'constant') return baseLr;
  const decaySteps = Math.max(totalSteps - warmupSteps, 1);
  const progress = Math.min((step - warmupSteps) / decaySteps, 1);
  const floor = schedule.minLrFraction * baseLr;
  return floor + (baseLr - floor) * 0.5 * (1 + Math.cos(Math.PI * progress));
}
