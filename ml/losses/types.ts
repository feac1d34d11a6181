/**
 * Shapes shared by the student losses and their registry.
 */
import type * as tf from '@tensorflow/tfjs';
import type { LossConfigOf, LossMethod, LossTraits } from '../../schemas/losses.js';

/** What the training loop hands a loss for one batch. */
export interface LossInputs {
  /** Student logits, [batch, classes]. */
  readonly student: tf.Tensor2D;
  /** Teacher logits, same shape; needed by every method except `ceiling`. */
  readonly teacher?: tf.Tensor2D;
  /** Ground-truth class indices, [batch]; needed by `ceiling` and whenever `gtWeight > 0`. */
  readonly labels?: tf.Tensor1D;
  /** Fraction of training done, in [0, 1]; drives the augconf and logconf schedules. */
  readonly progress: number;
}

/**
 * A loss for one batch. `total` is what the optimizer minimises. `parts`
 * holds its additive terms (`kd`, `hard`, `soft`, `align`, `gt`; they sum
 * to `total`) and, under `alpha`, the mean confidence weight, which is a
 * diagnostic for logs and not a term.
 */
export type LossResult = {
  total: tf.Scalar;
  parts: Record<string, tf.Scalar>;
  /** Per-example diagnostics ([batch]), e.g. adaptconf's `alpha`, for the training's report. */
  perExample?: Record<string, tf.Tensor1D>;
};

/** Names in `LossResult.parts` that are diagnostics rather than terms of the total. */
export const DIAGNOSTIC_PARTS: readonly string[] = ['alpha'];

/** One method's contribution before ground-truth mixing. */
export type LossTerms = {
  terms: Record<string, tf.Scalar>;
  diagnostics: Record<string, tf.Scalar>;
  perExample?: Record<string, tf.Tensor1D>;
};

/** A registry entry: the method's traits (from its entry in schemas/losses.ts) and its terms. */
export interface LossEntry<M extends LossMethod = LossMethod> extends LossTraits {
  /**
   * The method's terms for one batch. The registry has checked the student
   * logits and progress; the entry checks the inputs only it uses.
   */
  terms(config: LossConfigOf<M>, inputs: LossInputs): LossTerms;
}
