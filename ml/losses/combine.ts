/**
 * What every loss file shares: summing a method's terms into its total, the
 * public loss function built from its terms, and its registry entry.
 */
import * as tf from '@tensorflow/tfjs';
import { lossTraits, type LossConfigOf, type LossMethod } from '../../schemas/losses.js';
import type { LossEntry, LossInputs, LossTerms } from './types.js';

export function sumTerms({ terms }: LossTerms): tf.Scalar {
  const values = Object.values(terms);
  // addN of a single tensor would hand back that same tensor; a total that
  // aliases a part could be disposed twice by a caller freeing both.
  return values.length === 1 ? tf.clone(values[0]!) : tf.addN(values);
}

export function onlyTerm(name: string, value: tf.Scalar): LossTerms {
  return { terms: { [name]: value }, diagnostics: {} };
}

/** A method's public loss function: its terms summed, every intermediate tensor freed. */
export function summed<A extends unknown[]>(parts: (...args: A) => LossTerms): (...args: A) => tf.Scalar {
  return (...args) => tf.tidy(() => sumTerms(parts(...args)));
}

/** A method's registry entry: the traits its schema entry declares, and its terms. */
export function lossEntry<M extends LossMethod>(method: M, terms: (config: LossConfigOf<M>, inputs: LossInputs) => LossTerms): LossEntry<M> {
  return { ...lossTraits(method), terms };
}
