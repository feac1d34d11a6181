/** A fraction as the report and the CLI print it (`0.8123` -> `81.23%`); a value not measured prints as `-`. */
export function percent(x: number | null | undefined): string {
  return x === null || x === undefined || Number.isNaN(x) ? '-' : `${(100 * x).toFixed(2)}%`;
}
