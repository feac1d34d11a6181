/** The results table as people read it in a terminal and in Markdown reports. */
import type { ResultRow } from '../schemas/stages.js';
import { percent } from './percent.js';


export function resultColumns(row: ResultRow): string[] {
  return [
    row.name,
    row.role,
    percent(row.accuracy),
    row.pgr === null ? '-' : row.pgr.toFixed(3),
    percent(row.agreement),
    row.ece.toFixed(4),
    String(row.examples),
  ];
}

export const RESULT_HEADER = ['model', 'role', 'accuracy', 'PGR', 'agreement', 'ECE', 'examples'];

export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function formatResults(rows: readonly ResultRow[]): string {
  return [formatTable(RESULT_HEADER, rows.map(resultColumns)), ...resultNotes(rows).map((note) => `\nnote: ${note}`)].join('\n');
}

/** Caveats a reader of the table needs, e.g. why PGR is missing. */
export function resultNotes(rows: readonly ResultRow[]): string[] {
  const weak = rows.find((r) => r.role === 'weak');
  const ceiling = rows.find((r) => r.role === 'ceiling');
  if (!weak || !ceiling) return ['PGR needs a weak teacher and a ceiling student (method: ceiling) in the same run.'];
  if (ceiling.accuracy <= weak.accuracy) {
    return [`The ceiling (${(100 * ceiling.accuracy).toFixed(2)}%) does not beat the weak teacher (${(100 * weak.accuracy).toFixed(2)}%): there is no gap to recover, so PGR is not reported. Train the strong model longer or on more data.`];
  }
  // The standard error of the gap between two accuracies measured on test splits of these sizes.
  const gapError = Math.sqrt((weak.accuracy * (1 - weak.accuracy)) / weak.examples + (ceiling.accuracy * (1 - ceiling.accuracy)) / ceiling.examples);
  const gap = ceiling.accuracy - weak.accuracy;
  if (gap < 2 * gapError) {
    return [
      `The ceiling (${(100 * ceiling.accuracy).toFixed(2)}%) is only ${(100 * gap).toFixed(2)} points above the weak teacher (${(100 * weak.accuracy).toFixed(2)}%), within two standard errors of the test split (${(200 * gapError).toFixed(2)} points): PGR divides by a gap this small, so it can swing widely from noise alone.`,
    ];
  }
  return [];
}
