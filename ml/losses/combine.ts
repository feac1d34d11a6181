/**
 * Adds a method's terms into its total.
 */
import * as tf from '@tensorflow/tfjs';
import type { LossTerms } from './types.js';

export function sumTerms({ terms }: LossTerms): tf.Scalar {
  const values = Object.values(terms);
  // addN of a single tensor would hand back that same tensor; a total that
  // aliases a part could be disposed twice by a caller freeing both.
  return values.length === 1 ? tf.clone(values[0]!) : tf.addN(values);
}

export function onlyTerm(name: string, value: tf.Scalar): LossTerms {
  return { terms: { [name]: value }, diagnostics: {} };
}
