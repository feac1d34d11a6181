/**
 * Batch norm's running statistics, blended for every layer of a step at once.
 * Each layer hands over its batch statistic and blend weights; the new values,
 * `running * decay + observed * rate`, are then one Multiply, Multiply, Add
 * over all layers' statistics concatenated, instead of three ops (and four
 * scalar uploads) per statistic per layer. Per element the arithmetic is the
 * same float32 operations on the same operands, so the results are identical.
 */
import * as tf from '@tensorflow/tfjs';
import { concatFlat, flatteningPays, splitLike } from './flat.js';

/** A batch statistic waiting to be blended into its running value. */
export interface RunningStatistic {
  readonly variable: tf.Variable;
  /** Kept out of any tidy scope; resolving or dropping the statistic disposes it. */
  readonly observed: tf.Tensor;
  /** The new running value is `variable * decay + observed * rate`. */
  readonly decay: number;
  readonly rate: number;
}

/** A new value for a state variable. */
export interface StateUpdate {
  readonly variable: tf.Variable;
  /** Kept out of any tidy scope; whoever applies or drops the update disposes it. */
  readonly value: tf.Tensor;
}

/**
 * The new running values (kept, for the caller to apply or drop); disposes
 * the batch statistics. `flatten`: blend them concatenated, by default where
 * that pays (`flatteningPays`); the values are the same either way.
 */
export function resolveRunningStatistics(statistics: readonly RunningStatistic[], flatten: boolean = flatteningPays()): StateUpdate[] {
  if (statistics.length === 0) return [];
  try {
    const values = tf.tidy(() => {
      // Where gathering does not pay, each statistic alone: the same float32 operations, so the same values.
      if (!flatten) return statistics.map((s) => tf.add(tf.mul(s.variable, s.decay), tf.mul(s.observed, s.rate)));
      const variables = statistics.map((s) => s.variable);
      const blended = tf.add(
        tf.mul(concatFlat(variables), weights(statistics, (s) => s.decay)),
        tf.mul(concatFlat(statistics.map((s) => s.observed)), weights(statistics, (s) => s.rate)),
      );
      return splitLike(blended, variables);
    });
    return statistics.map((s, i) => ({ variable: s.variable, value: values[i]! }));
  } finally {
    disposeRunningStatistics(statistics);
  }
}

export function disposeRunningStatistics(statistics: readonly RunningStatistic[]): void {
  for (const { observed } of statistics) observed.dispose();
}

/** One float32 weight per element: the same value the per-layer scalar operand held. */
function weights(statistics: readonly RunningStatistic[], pick: (s: RunningStatistic) => number): tf.Tensor1D {
  const values = new Float32Array(statistics.reduce((n, s) => n + s.variable.size, 0));
  let offset = 0;
  for (const s of statistics) {
    values.fill(pick(s), offset, offset + s.variable.size);
    offset += s.variable.size;
  }
  return tf.tensor1d(values, 'float32');
}

/** Assigns new state values (from `resolveRunningStatistics`, or averaged over replicas) and frees them. */
export function applyStateUpdates(updates: readonly StateUpdate[]): void {
  for (const { variable, value } of updates) {
    variable.assign(value);
    value.dispose();
  }
}

export function disposeStateUpdates(updates: readonly StateUpdate[]): void {
  for (const { value } of updates) value.dispose();
}
