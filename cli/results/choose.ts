/**
 * Threshold choice on the validation split, as `w2s sweep` makes it: the
 * runs of a sweep's `--theta` and `--final-alpha` axes differ only in
 * AdaptConf's theta and AugConf's final alpha; for each seed and student,
 * the run whose student scored best on the validation split is the one
 * reported (the smallest threshold on a tie). The test split never takes
 * part in the choice.
 */
import type { RunConfig, StudentConfig } from '../../schemas/pipeline.js';
import { bestOnValidation, CHOSEN_PARAMETERS } from '../../workflows/sweep-axes.js';
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
  /** The same by parameter (`{ theta: [0.25, 0.5] }`): the sweep's axes. */
  readonly swept: Readonly<Record<string, readonly number[]>>;
}

/** Only configs with a validation split can choose without looking at the test split. */
export function choosesOnValidation(config: RunConfig): boolean {
  return config.dataset.splits.validation > 0;
}

export function thresholdValues(student: StudentConfig): ThresholdValues {
  const entries = Object.entries(student).filter((entry): entry is [string, number] => CHOSEN_PARAMETERS.includes(entry[0]) && typeof entry[1] === 'number');
  return Object.fromEntries(entries);
}

/** The student without its threshold parameters: what runs of a threshold sweep share. */
export function withoutThresholds<S extends object>(student: S): Partial<S> {
  return Object.fromEntries(Object.entries(student).filter(([key]) => !CHOSEN_PARAMETERS.includes(key))) as Partial<S>;
}

const studentOf = (run: FinishedRun, name: string) => run.config.students.find((s) => (s.name ?? s.method) === name);
const firstValue = (values: ThresholdValues) => Object.values(values)[0] ?? 0;

interface Candidate {
  readonly seed: number;
  readonly name: string;
  readonly run: FinishedRun;
  readonly values: ThresholdValues;
  readonly accuracy: number | undefined;
}

/**
 * Runs of one scenario (sorted by seed) reduced to one run per seed. A seed
 * with a single run is kept as it is; with several (a threshold sweep), each
 * model's row comes from the run where that model did best on validation,
 * and a model without a threshold or a validation accuracy (the teacher, the
 * ceiling: identical across the points) from the seed's first run.
 */
export function chooseOnValidation(runs: readonly FinishedRun[]): ChosenRuns {
  const seeds = [...new Set(runs.map((run) => run.config.seed))];
  const swept = runs.filter((run) => runs.filter((other) => other.config.seed === run.config.seed).length > 1);
  const candidates = swept
    .flatMap((run) => run.rows.map((row): Candidate => {
      const student = studentOf(run, row.name);
      return { seed: run.config.seed, name: row.name, run, values: student ? thresholdValues(student) : {}, accuracy: run.validation?.[row.name] };
    }))
    .filter((c) => Object.keys(c.values).length > 0)
    .sort((a, b) => firstValue(a.values) - firstValue(b.values));
  const key = (seed: number, name: string) => `${seed}|${name}`;
  const best = bestOnValidation(candidates, (c) => key(c.seed, c.name), (c) => c.accuracy);
  const perSeed = seeds.map((seed): FinishedRun => {
    const first = runs.find((run) => run.config.seed === seed)!;
    return { ...first, rows: first.rows.map((row) => best.get(key(seed, row.name))?.run.rows.find((r) => r.name === row.name) ?? row) };
  });
  const chosen = [...best.values()].sort((a, b) => a.seed - b.seed);
  const measured = candidates.filter((c) => c.accuracy !== undefined);
  // In the table's row order.
  const names = (runs[0]?.rows ?? []).map((row) => row.name).filter((name) => chosen.some((c) => c.name === name));
  return {
    perSeed,
    choices: names.map((name) => ({
      name,
      seeds: chosen.filter((c) => c.name === name).map((c) => ({ seed: c.seed, runId: c.run.runId, values: c.values, validationAccuracy: c.accuracy! })),
    })),
    thresholds: [...new Set(measured.flatMap((c) => Object.values(c.values)))].sort((a, b) => a - b),
    swept: Object.fromEntries(
      CHOSEN_PARAMETERS.flatMap((parameter) => {
        const values = [...new Set(measured.flatMap((c) => (c.values[parameter] !== undefined ? [c.values[parameter]] : [])))].sort((a, b) => a - b);
        return values.length > 0 ? [[parameter, values]] : [];
      }),
    ),
  };
}
