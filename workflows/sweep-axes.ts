/**
 * The loss parameters a sweep's `threshold` axis sets, in the methods that
 * take one (AdaptConf's theta and AugConf's final alpha), and the rule that
 * chooses among the points on the validation split. The sweep workflow sets
 * the parameters and marks its choices; `w2s results` makes the same choice
 * from finished runs. Plain code, so the workflow bundle and the CLI share it.
 */
export const THRESHOLD_PARAMETERS: readonly string[] = ['theta', 'finalAlpha'];

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
