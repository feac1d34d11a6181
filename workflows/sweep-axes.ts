/**
 * The loss parameters a sweep has an axis for, each named as in the loss
 * schema (schemas/losses.ts) and set only in students whose method takes it,
 * and the rule that chooses among the points on the validation split. The
 * sweep workflow sets the parameters and marks its choices; `w2s results`
 * makes the same choice from finished runs. Plain code, so the workflow
 * bundle and the CLI share it.
 */
export const LOSS_AXES = ['theta', 'finalAlpha', 'temperature'] as const;
export type LossAxis = (typeof LOSS_AXES)[number];

/** The confidence parameters chosen on the validation split (AdaptConf's theta, AugConf's final alpha): runs that differ only in them are one scenario. */
export const CHOSEN_PARAMETERS: readonly string[] = ['theta', 'finalAlpha'];

/** The strong students' settings a sweep has an axis for: the optimizer's weight decay and early stopping's patience (`strong.optimizer.weightDecay`, `strong.earlyStopping.patience`), chosen on the validation split like the confidence parameters. */
export type StrongAxis = 'weightDecay' | 'patience';

/** A sweep axis that `w2s results` reports as chosen on validation. */
export type SweptAxis = LossAxis | StrongAxis;

/** Each axis's flag on `w2s sweep`. */
export const AXIS_FLAGS: Readonly<Record<SweptAxis, string>> = { theta: '--theta', finalAlpha: '--final-alpha', temperature: '--temperature', weightDecay: '--weight-decay', patience: '--patience' };

/**
 * For each group, the item with the highest validation accuracy, the first
 * in the given order on a tie. Items without a validation accuracy are never
 * chosen; a group with none of them has no entry.
 */
export function bestOnValidation<T>(items: readonly T[], group: (item: T) => string, accuracy: (item: T) => number | null | undefined): Map<string, T> {
  const best = new Map<string, { item: T; accuracy: number }>();
  for (const item of items) {
    const score = accuracy(item);
    if (score === undefined || score === null) continue;
    const key = group(item);
    const current = best.get(key);
    if (!current || score > current.accuracy) best.set(key, { item, accuracy: score });
  }
  return new Map([...best].map(([key, { item }]) => [key, item]));
}
