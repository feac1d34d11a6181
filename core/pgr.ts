/**
 * Performance gap recovered (Burns et al. 2023):
 * PGR = (acc(student) - acc(weak)) / (acc(ceiling) - acc(weak)).
 * 1 means the student trained on weak labels is as good as the ceiling,
 * 0 that it is no better than its weak teacher. A formula on three numbers,
 * no tensors: the report computes it (report/rows.ts) without loading ml/,
 * which re-exports it among its metrics.
 */
import { BadInputError } from './errors.js';

export interface PgrAccuracies {
  /** Accuracy of the strong student trained on the weak teacher's labels. */
  readonly student: number;
  /** Accuracy of the weak teacher. */
  readonly weak: number;
  /** Accuracy of the strong model trained on ground truth. */
  readonly ceiling: number;
}

/**
 * PGR of accuracies in [0, 1]. When the ceiling equals the weak teacher
 * there is no gap to recover and PGR is undefined: the result is NaN
 * rather than an error, so that one degenerate run does not fail a whole
 * sweep. (The run report asks only when the ceiling beats the teacher: its
 * other rows carry `pgr: null` and the results table prints `-`.) A ceiling
 * below the weak teacher gives a negative denominator; the formula is
 * applied as is, and reports should show that the gap is inverted.
 */
export function performanceGapRecovered({ student, weak, ceiling }: PgrAccuracies): number {
  for (const [name, value] of Object.entries({ student, weak, ceiling })) {
    if (!(Number.isFinite(value) && value >= 0 && value <= 1)) {
      throw new BadInputError('PGR', `${name} accuracy must be a number in [0, 1], got ${value}`);
    }
  }
  if (ceiling === weak) return Number.NaN;
  return (student - weak) / (ceiling - weak);
}
