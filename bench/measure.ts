/**
 * Sampling helpers. The machine is shared, so every figure is a median of
 * samples interleaved with the baseline's, and single-thread work is also
 * reported per second of CPU time, which other processes' load disturbs far
 * less than wall time.
 */
import type { BenchResult } from './types.js';

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** "min-max" of the samples, for the note beside a median. */
export function spread(values: readonly number[], digits = 0): string {
  if (values.length === 0) return '';
  return `${Math.min(...values).toFixed(digits)}-${Math.max(...values).toFixed(digits)}`;
}

export interface Rate {
  /** Items per second of wall time. */
  readonly perSecond: number;
  /** Items per second of this process's CPU time (all its threads). */
  readonly perCpuSecond: number;
}

export interface Interleaved {
  readonly ours: Rate[];
  readonly theirs: Rate[];
}

/**
 * Alternates our sample and the baseline's, `repeats` times each, so slow
 * phases of a shared machine hit both sides alike.
 */
export async function interleaved(repeats: number, ours: () => Promise<Rate>, theirs?: () => Promise<Rate>): Promise<Interleaved> {
  const result: Interleaved = { ours: [], theirs: [] };
  for (let i = 0; i < repeats; i++) {
    result.ours.push(await ours());
    if (theirs) result.theirs.push(await theirs());
  }
  return result;
}

/** Runs `work` `calls` times; items per second of wall and of CPU time (`items` per call). */
export async function rate(calls: number, items: number, work: () => void | Promise<void>): Promise<Rate> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < calls; i++) await work();
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000;
  return { perSecond: (calls * items * 1000) / wallMs, perCpuSecond: (calls * items * 1000) / Math.max(cpuMs, 1e-6) };
}

/**
 * Result rows for a throughput comparison: wall-clock images/s, and (for
 * work on one thread, where it means something) images per CPU-second.
 */
export function throughputRows(name: string, samples: Interleaved, options: { cpuTime: boolean; unit?: string }): BenchResult[] {
  const unit = options.unit ?? 'images/s';
  const row = (suffix: string, pick: (r: Rate) => number, rowUnit: string): BenchResult => {
    const ours = samples.ours.map(pick);
    const theirs = samples.theirs.map(pick);
    const value = median(ours);
    const baseline = theirs.length ? median(theirs) : undefined;
    return {
      name: `${name}${suffix}`,
      value,
      unit: rowUnit,
      ...(baseline !== undefined ? { baseline, ratio: value / baseline } : {}),
      note: `ours ${spread(ours)}${baseline !== undefined ? `, torch ${spread(theirs)}` : ', no PyTorch'}`,
    };
  };
  const rows = [row('', (r) => r.perSecond, unit)];
  if (options.cpuTime) rows.push(row('/cpu-time', (r) => r.perCpuSecond, `${unit.split('/')[0]}/cpu-s`));
  return rows;
}
