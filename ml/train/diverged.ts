/**
 * A training whose loss or weights stop being finite numbers has diverged:
 * every later step, and a retry resumed from any checkpoint after it, gives
 * NaN again. It is bad config (the learning rate, the loss settings), so it
 * is a BadInputError: the stage fails at once, not retried, and no
 * checkpoint of the broken weights is written.
 */
import * as tf from '@tensorflow/tfjs';
import { BadInputError } from '../../core/errors.js';

export class TrainingDivergedError extends BadInputError {
  constructor(
    /** What went non-finite and where, without the `where` prefix: a caller restates it for the model it trains. */
    readonly problem: string,
    readonly step: number,
  ) {
    super('training', problem);
  }
}

export interface DivergenceContext {
  readonly step: number;
  readonly totalSteps: number;
  readonly epoch: number;
  readonly epochs: number;
  readonly lr: number;
  readonly baseLr: number;
  readonly method: string;
}

const CAUSE = (c: DivergenceContext) =>
  `the training diverged; the learning rate (optimizer.lr ${c.baseLr}, ${c.lr} at this step) or the loss settings (method ${c.method}) are the likely cause: lower optimizer.lr or check the loss's parameters. No checkpoint of these weights was written`;

/** Throws when a part of the step's loss is not a finite number. */
export function checkLossFinite(loss: Readonly<Record<string, number>>, context: DivergenceContext): void {
  const bad = Object.entries(loss).find(([, value]) => !Number.isFinite(value));
  if (!bad) return;
  const [part, value] = bad;
  throw new TrainingDivergedError(`the loss (${part}) is ${value} at step ${context.step} of ${context.totalSteps} (epoch ${context.epoch + 1} of ${context.epochs}): ${CAUSE(context)}`, context.step);
}

/** Throws when a weight (or a running statistic) holds a value that is not finite: checked before each checkpoint, so none holds one. */
export function checkWeightsFinite(params: Iterable<{ readonly name: string; readonly variable: tf.Variable }>, context: DivergenceContext): void {
  for (const { name, variable } of params) {
    if (variable.dtype !== 'float32') continue;
    const finite = tf.tidy(() => tf.all(tf.isFinite(variable)).dataSync()[0]);
    if (!finite) throw new TrainingDivergedError(`weight ${name} holds a value that is not finite after step ${context.step} of ${context.totalSteps} (epoch ${context.epoch + 1} of ${context.epochs}): ${CAUSE(context)}`, context.step);
  }
}
