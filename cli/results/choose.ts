/**
 * Choice on the validation split, as `w2s sweep` makes it: the runs of a
 * sweep's `--theta` and `--final-alpha` axes differ only in AdaptConf's
 * theta and AugConf's final alpha, those of its `--weight-decay` and
 * `--patience` axes in the strong students' weight decay and early-stopping
 * patience. For each seed and model, the run whose model scored best on the
 * validation split is the one reported (the smallest setting on a tie). The
 * test split never takes part in the choice.
 *
 * Two criteria choose: ground truth (accuracy on the validation split) and
 * the teacher's labels (agreement with them there), which is all a user
 * without labelled data has. The ceiling learns from ground truth and is
 * chosen by it under both.
 */
import { performanceGapRecovered } from '../../core/pgr.js';
import type { RunConfig, StudentConfig } from '../../schemas/pipeline.js';
import type { ResultRow } from '../../schemas/stages.js';
import { bestOnValidation, CHOSEN_PARAMETERS } from '../../workflows/sweep-axes.js';
import type { FinishedRun } from './collect.js';

/** A model's swept settings and their values, e.g. `{ theta: 0.5 }` or `{ weightDecay: 0.1 }`. */
export type ThresholdValues = Readonly<Record<string, number>>;

/** What a choice on the validation split maximises. */
export type SelectionCriterion = 'ground-truth' | 'teacher';

export const CRITERION_TEXT: Readonly<Record<SelectionCriterion, string>> = {
  'ground-truth': 'ground truth (validation accuracy)',
  teacher: "the teacher's labels (agreement with them on validation)",
};

export interface SeedChoice {
  readonly seed: number;
  readonly runId: string;
  readonly values: ThresholdValues;
  readonly validationAccuracy: number;
  /** Agreement with the teacher's labels on the validation split, where recorded. */
  readonly validationAgreement?: number;
}

/** Where a student's settings were chosen on validation: one entry per seed. */
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
  /** Each swept setting's values (`{ theta: [0.25, 0.5] }`, `{ weightDecay: [0.0001, 0.1] }`): the sweep's axes, a strong setting only where the runs differ in it. */
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
const weightDecayOf = (run: FinishedRun) => run.config.strong.optimizer.weightDecay;
/** 0 stands for no early stopping. */
const patienceOf = (run: FinishedRun) => run.config.strong.earlyStopping?.patience ?? 0;

interface Candidate {
  readonly seed: number;
  readonly name: string;
  readonly role: ResultRow['role'];
  readonly run: FinishedRun;
  readonly values: ThresholdValues;
  readonly accuracy: number | undefined;
  readonly agreement: number | undefined;
}

/**
 * Runs of one scenario (sorted by seed) reduced to one run per seed. A seed
 * with a single run is kept as it is; with several (a sweep), each model's
 * row comes from the run where that model did best on validation by the
 * criterion, and a model without a swept setting or a validation score (the
 * teacher, the ceiling of a threshold sweep: identical across the points)
 * from the seed's first run. A student's PGR is taken against its seed's
 * chosen teacher and ceiling rows.
 */
export function chooseOnValidation(runs: readonly FinishedRun[], criterion: SelectionCriterion = 'ground-truth'): ChosenRuns {
  const seeds = [...new Set(runs.map((run) => run.config.seed))];
  const swept = runs.filter((run) => runs.filter((other) => other.config.seed === run.config.seed).length > 1);
  const weightDecays = [...new Set(swept.map(weightDecayOf))].sort((a, b) => a - b);
  const patiences = [...new Set(swept.map(patienceOf))].sort((a, b) => a - b);
  const strongSwept = weightDecays.length > 1 || patiences.length > 1;
  // The strong settings are axes only where the runs differ in them.
  const strongAxes = { ...(weightDecays.length > 1 ? { weightDecay: weightDecays } : {}), ...(patiences.length > 1 ? { patience: patiences } : {}) };
  // A student's threshold is a swept setting unless only the strong settings vary (then it is the one value every run shares).
  const thresholdsShared = strongSwept && new Set(swept.flatMap((run) => run.config.students.flatMap((s) => Object.values(thresholdValues(s))))).size <= 1;
  const candidates = swept
    .flatMap((run) => run.rows.map((row): Candidate => {
      const student = studentOf(run, row.name);
      const values = {
        ...(student && !thresholdsShared ? thresholdValues(student) : {}),
        ...(weightDecays.length > 1 && row.role !== 'weak' ? { weightDecay: weightDecayOf(run) } : {}),
        ...(patiences.length > 1 && row.role !== 'weak' ? { patience: patienceOf(run) } : {}),
      };
      return { seed: run.config.seed, name: row.name, role: row.role, run, values, accuracy: run.validation?.[row.name], agreement: run.validationAgreement?.[row.name] };
    }))
    .filter((c) => Object.keys(c.values).length > 0)
    .sort((a, b) => firstValue(a.values) - firstValue(b.values));
  const key = (seed: number, name: string) => `${seed}|${name}`;
  const score = (c: Candidate) => (criterion === 'teacher' && c.role !== 'ceiling' ? c.agreement : c.accuracy);
  const best = bestOnValidation(candidates, (c) => key(c.seed, c.name), score);
  const perSeed = seeds.map((seed): FinishedRun => {
    const first = runs.find((run) => run.config.seed === seed)!;
    const rows = first.rows.map((row) => best.get(key(seed, row.name))?.run.rows.find((r) => r.name === row.name) ?? row);
    return { ...first, rows: withPgr(rows) };
  });
  const chosen = [...best.values()].sort((a, b) => a.seed - b.seed);
  const measured = candidates.filter((c) => c.accuracy !== undefined);
  // In the table's row order.
  const names = (runs[0]?.rows ?? []).map((row) => row.name).filter((name) => chosen.some((c) => c.name === name));
  return {
    perSeed,
    choices: names.map((name) => ({
      name,
      seeds: chosen
        .filter((c) => c.name === name)
        .map((c) => ({ seed: c.seed, runId: c.run.runId, values: c.values, validationAccuracy: c.accuracy!, ...(c.agreement !== undefined ? { validationAgreement: c.agreement } : {}) })),
    })),
    thresholds: [...new Set(measured.flatMap((c) => Object.entries(c.values).filter(([k]) => CHOSEN_PARAMETERS.includes(k)).map(([, v]) => v)))].sort((a, b) => a - b),
    swept: {
      ...Object.fromEntries(
        CHOSEN_PARAMETERS.flatMap((parameter) => {
          const values = [...new Set(measured.flatMap((c) => (c.values[parameter] !== undefined ? [c.values[parameter]] : [])))].sort((a, b) => a - b);
          return values.length > 0 ? [[parameter, values]] : [];
        }),
      ),
      ...strongAxes,
    },
  };
}

/** Rows chosen from different runs: each student's PGR against the teacher and ceiling rows now beside it (as the report computes it). */
function withPgr(rows: readonly ResultRow[]): ResultRow[] {
  const weak = rows.find((r) => r.role === 'weak');
  const ceiling = rows.find((r) => r.role === 'ceiling');
  if (!weak || !ceiling) return [...rows];
  return rows.map((row) =>
    row.role !== 'student' ? row : { ...row, pgr: ceiling.accuracy > weak.accuracy ? performanceGapRecovered({ student: row.accuracy, weak: weak.accuracy, ceiling: ceiling.accuracy }) : null },
  );
}

/** Whether any run of the scenario recorded agreement with the teacher on validation: then both criteria can choose. */
export function hasTeacherSelection(runs: readonly FinishedRun[]): boolean {
  return runs.some((run) => run.validationAgreement !== undefined && Object.keys(run.validationAgreement).length > 0);
}
