/**
 * The loss parameters a sweep's `threshold` axis sets, in the methods that
 * take one: AdaptConf's theta and AugConf's final alpha. The sweep workflow
 * sets them; `w2s results` chooses among the values a sweep ran on the
 * validation split. Plain data, so the workflow bundle and the CLI share it.
 */
export const THRESHOLD_PARAMETERS: readonly string[] = ['theta', 'finalAlpha'];
