/**
 * Threshold choice on the validation split, as `w2s sweep` makes it: the
 * runs of a sweep's `--threshold` axis differ only in AdaptConf's theta and
 * AugConf's final alpha; for each seed and student, the run whose student
 * scored best on the validation split is the one reported (the smallest
 * threshold on a tie). The test split never takes part in the choice.
 */
import type { RunConfig, StudentConfig } from '../../schemas/pipeline.js';
import type { ResultRow } from '../../schemas/stages.js';
import { THRESHOLD_PARAMETERS } from '../../workflows/sweep-axes.js';
import type { FinishedRun } from './collect.js';

/** A student's threshold parameters and their values, e.g. `{ theta: 0.5 }`. */
export type ThresholdValues = Readonly<Record<string, number>>;

export interface SeedChoice {
  readonly seed: number;
  readonly runId: string;
  readonly values: ThresholdValues;
  readonly validationAccuracy: number;
}

/** Where a student's threshold was chosen on validation: one entry per seed. */
export interface StudentChoice {
  readonly name: string;
  readonly seeds: readonly SeedChoice[];
}

export interface ChosenRuns {
  /** One run per seed, each holding every model's chosen row (the first run's config and lineage). */
  readonly perSeed: readonly FinishedRun[];
  readonly choices: readonly StudentChoice[];
  /** The threshold values the runs covered, ascending (empty when nothing was chosen). */
  readonly thresholds: readonly number[];
}

/** Only configs with a validation split can choose without looking at the test split. */
export function choosesOnValidation(config: RunConfig): boolean {
  return config.dataset.splits.validation > 0;
}

export function thresholdValues(student: StudentConfig): ThresholdValues {
  const entries = Object.entries(student).filter((entry): entry is [string, number] => THRESHOLD_PARAMETERS.includes(entry[0]) && typeof entry[1] === 'number');
  return Object.fromEntries(entries);
}

/** The student without its threshold parameters: what runs of a threshold sweep share. */
export function withoutThresholds<S extends object>(student: S): Partial<S> {
  return Object.fromEntries(Object.entries(student).filter(([key]) => !THRESHOLD_PARAMETERS.includes(key))) as Partial<S>;
}

const studentOf = (run: FinishedRun, name: string) => run.config.students.find((s) => (s.name ?? s.method) === name);
const firstValue = (values: ThresholdValues) => Object.values(values)[0] ?? 0;

/**
 * Runs of one scenario (sorted by seed) reduced to one run per seed. A seed
 * with a single run is kept as it is; with several (a threshold sweep), each
 * model's row comes from the run where that model did best on validation,
 * and a model without a validation accuracy (the teacher, the ceiling:
 * identical across the points) from the first run.
 */
export function chooseOnValidation(runs: readonly FinishedRun[]): ChosenRuns {
  const seeds = [...new Set(runs.map((run) => run.config.seed))];
  const choices = new Map<string, SeedChoice[]>();
  const thresholds = new Set<number>();
  const perSeed = seeds.map((seed): FinishedRun => {
    const candidates = runs.filter((run) => run.config.seed === seed);
    const first = candidates[0]!;
    if (candidates.length === 1) return first;
    const rows = first.rows.map((row): ResultRow => {
      const scored = candidates
        .map((run) => {
          const student = studentOf(run, row.name);
          return { run, values: student ? thresholdValues(student) : {}, accuracy: run.validation?.[row.name] };
        })
        .filter((c): c is typeof c & { accuracy: number } => c.accuracy !== undefined && Object.keys(c.values).length > 0)
        .sort((a, b) => firstValue(a.values) - firstValue(b.values));
      const best = scored.reduce<(typeof scored)[number] | undefined>((top, c) => (top === undefined || c.accuracy > top.accuracy ? c : top), undefined);
      if (!best) return row;
      for (const c of scored) for (const v of Object.values(c.values)) thresholds.add(v);
      choices.set(row.name, [...(choices.get(row.name) ?? []), { seed, runId: best.run.runId, values: best.values, validationAccuracy: best.accuracy }]);
      return best.run.rows.find((r) => r.name === row.name) ?? row;
    });
    return { ...first, rows };
  });
  return { perSeed, choices: [...choices].map(([name, list]) => ({ name, seeds: list })), thresholds: [...thresholds].sort((a, b) => a - b) };
}
