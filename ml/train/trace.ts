/**
 * What a training leaves for its report: a loss and accuracy curve of at
 * most `MAX_CURVE_POINTS` points, and per epoch a histogram of the
 * per-example confidence weight alpha (adaptconf, augconf). It reads only
 * numbers the step has already computed, so it changes no weight; its
 * running state is plain JSON that checkpoints carry, so a resumed run
 * leaves the same trace as one that never stopped.
 */
import type { AlphaHistogram, CurvePoint } from '../../schemas/report-data.js';

/** Curve points over a whole training, whatever its length. */
export const MAX_CURVE_POINTS = 200;
/** Equal-width alpha bins over [0, 1]. */
export const ALPHA_BINS = 20;

export interface TrainingTrace {
  curve: CurvePoint[];
  alpha: AlphaHistogram[];
  /** Sums since the last curve point. */
  window: { batches: number; lossSums: Record<string, number>; correct: number; labelled: number };
  /** This epoch's alpha bins so far; null until a step reports alpha. */
  alphaCounts: number[] | null;
}

export function emptyTrace(): TrainingTrace {
  return { curve: [], alpha: [], window: emptyWindow(), alphaCounts: null };
}

function emptyWindow(): TrainingTrace['window'] {
  return { batches: 0, lossSums: {}, correct: 0, labelled: 0 };
}

/** Steps per curve point: one point per step for short trainings, fewer for long ones. */
export function curveStride(totalSteps: number): number {
  return Math.max(1, Math.ceil(totalSteps / MAX_CURVE_POINTS));
}

export function alphaBin(alpha: number): number {
  return Math.min(ALPHA_BINS - 1, Math.max(0, Math.floor(alpha * ALPHA_BINS)));
}

export interface TracedStep {
  /** Steps completed, this one included. */
  readonly step: number;
  readonly epoch: number;
  readonly totalSteps: number;
  readonly loss: Readonly<Record<string, number>>;
  readonly predictions: ArrayLike<number>;
  readonly labels?: ArrayLike<number>;
  /** Per-example alpha, when the loss reports one; a loss that reports only the batch's `alpha` counts it once per example. */
  readonly alpha?: ArrayLike<number>;
}

export function traceStep(trace: TrainingTrace, step: TracedStep): void {
  const n = step.predictions.length;
  const w = trace.window;
  w.batches += 1;
  for (const [name, value] of Object.entries(step.loss)) w.lossSums[name] = (w.lossSums[name] ?? 0) + value;
  if (step.labels) {
    w.labelled += n;
    for (let i = 0; i < n; i++) if (step.predictions[i] === step.labels[i]) w.correct += 1;
  }
  const batchAlpha = step.loss.alpha;
  if (step.alpha || batchAlpha !== undefined) {
    const counts = (trace.alphaCounts ??= new Array<number>(ALPHA_BINS).fill(0));
    if (step.alpha) for (let i = 0; i < step.alpha.length; i++) counts[alphaBin(step.alpha[i]!)]! += 1;
    else counts[alphaBin(batchAlpha!)]! += n;
  }
  if (step.step % curveStride(step.totalSteps) === 0 || step.step === step.totalSteps) {
    const loss: Record<string, number> = {};
    for (const [name, sum] of Object.entries(w.lossSums)) loss[name] = sum / w.batches;
    trace.curve.push({ step: step.step, epoch: step.epoch, loss, ...(w.labelled > 0 ? { trainAccuracy: w.correct / w.labelled } : {}) });
    trace.window = emptyWindow();
  }
}

/** Closes the epoch's alpha histogram. */
export function traceEpochEnd(trace: TrainingTrace, epoch: number): void {
  if (trace.alphaCounts) trace.alpha.push({ epoch, counts: trace.alphaCounts });
  trace.alphaCounts = null;
}
