/**
 * The student losses by method name, and the one call the training loop
 * makes per batch. Adding a method is its entry in schemas/losses.ts, one
 * file exporting its `LossEntry`, and one line here.
 */
import * as tf from '@tensorflow/tfjs';
import { BadInputError } from '../../core/errors.js';
import { groundTruthWeight, LOSS_METHODS, type LossConfig, type LossMethod } from '../../schemas/losses.js';
import { adaptConfEntry } from './adaptconf.js';
import { augConfEntry } from './augconf.js';
import { checkFraction, checkLabels, checkLogits, checkNonNegative } from './checks.js';
import { sumTerms } from './combine.js';
import { ceilingEntry, groundTruthLoss } from './ground-truth.js';
import { hardEntry } from './hard.js';
import { kdEntry } from './kd.js';
import { logConfEntry } from './logconf.js';
import type { LossEntry, LossInputs, LossResult } from './types.js';

export const LOSS_REGISTRY: { readonly [M in LossMethod]: LossEntry<M> } = {
  ceiling: ceilingEntry,
  hard: hardEntry,
  kd: kdEntry,
  augconf: augConfEntry,
  adaptconf: adaptConfEntry,
  logconf: logConfEntry,
};

function entryFor<M extends LossMethod>(method: M): LossEntry<M> {
  if (!Object.hasOwn(LOSS_REGISTRY, method)) {
    throw new BadInputError('loss.method', `unknown method ${JSON.stringify(method)}; expected one of ${LOSS_METHODS.join(', ')}`);
  }
  return LOSS_REGISTRY[method] as LossEntry<M>;
}

/**
 * The loss of one batch under `config`: the method's terms plus, for every
 * method but `ceiling`, `gtWeight * CE(s, y)` as the `gt` part when
 * `gtWeight > 0` (labels are then required). `ceiling` is CE(s, y) alone
 * whatever `gtWeight` says. Teacher logits given to `ceiling`, and labels
 * given with `gtWeight = 0`, are ignored. The caller owns the returned
 * tensors; call it inside `tf.variableGrads` or `tf.tidy`.
 */
export function studentLoss(config: LossConfig, inputs: LossInputs): LossResult {
  const entry: LossEntry = entryFor(config.method);
  const where = `loss ${config.method}`;
  const { student, teacher, labels, progress } = inputs;
  const gtWeight = groundTruthWeight(config);
  checkLogits(where, 'student logits', student);
  checkFraction(where, 'progress', progress);
  checkNonNegative(where, 'gtWeight', gtWeight);
  const groundTruth = !entry.groundTruthOnly && gtWeight > 0 ? checkLabels(where, student, labels, `because gtWeight is ${gtWeight}`) : undefined;
  return tf.tidy(() => {
    // The entry is the config's own method's (entryFor), so the config has the shape it takes.
    const { terms, diagnostics, perExample } = entry.terms(config as never, { student, teacher, labels, progress });
    const all = groundTruth ? { ...terms, gt: tf.mul<tf.Scalar>(groundTruthLoss(student, groundTruth), gtWeight) } : terms;
    return { total: sumTerms({ terms: all, diagnostics }), parts: { ...all, ...diagnostics }, ...(perExample ? { perExample } : {}) };
  });
}
