/**
 * How far each weak-label student is from its teacher, measured in standard
 * errors of the test split: a lead of one or two standard errors can be luck
 * of the test draw, so the quickstart says how large the lead is.
 */
import type { ResultRow } from '../schemas/stages.js';

/** Standard error of an accuracy p measured on n examples: sqrt(p(1-p)/n). */
export function accuracyStandardError(accuracy: number, examples: number): number {
  return Math.sqrt((accuracy * (1 - accuracy)) / examples);
}

export interface StudentMargin {
  readonly name: string;
  /** Student accuracy minus teacher accuracy. */
  readonly margin: number;
  /** The margin in standard errors of the teacher's accuracy on the test split. */
  readonly standardErrors: number;
}

export function marginsOverTeacher(rows: readonly ResultRow[]): StudentMargin[] {
  const weak = rows.find((r) => r.role === 'weak');
  if (!weak) return [];
  const se = accuracyStandardError(weak.accuracy, weak.examples);
  return rows
    .filter((r) => r.role === 'student')
    .map((r) => ({ name: r.name, margin: r.accuracy - weak.accuracy, standardErrors: se > 0 ? (r.accuracy - weak.accuracy) / se : 0 }));
}

/** One line per student: "adaptconf: 4.12 points above its weak teacher (10.3 standard errors of the 10000-image test split)". */
export function studentMargins(rows: readonly ResultRow[]): string[] {
  const weak = rows.find((r) => r.role === 'weak');
  if (!weak) return [];
  return marginsOverTeacher(rows).map(({ name, margin, standardErrors }) => {
    const points = Math.abs(100 * margin).toFixed(2);
    const side = margin > 0 ? 'above' : margin < 0 ? 'below' : 'level with';
    return `${name}: ${margin === 0 ? '' : `${points} points `}${side} its weak teacher (${Math.abs(standardErrors).toFixed(1)} standard errors of the ${weak.examples}-image test split)`;
  });
}
