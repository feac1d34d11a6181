/**
 * Finished runs grouped into scenarios (runs whose configs are equal but for
 * the seed, and for the thresholds a sweep chooses on the validation split)
 * and summarised over seeds: mean and standard deviation of each model's
 * accuracy, PGR and agreement, and whether AdaptConf beats its teacher and
 * the other weak-label students.
 */
import { canonicalJson, hashJson } from '../../core/hash.js';
import type { RunConfig } from '../../schemas/pipeline.js';
import type { ResultRow } from '../../schemas/stages.js';
import { accuracyStandardError } from '../margins.js';
import { chooseOnValidation, choosesOnValidation, hasTeacherSelection, type SelectionCriterion, type StudentChoice, withoutThresholds } from './choose.js';
import type { FinishedRun } from './collect.js';

export interface Spread {
  readonly mean: number;
  /** Sample standard deviation over seeds (0 for a single seed). */
  readonly sd: number;
  readonly n: number;
}

export interface ModelSummary {
  readonly name: string;
  readonly role: ResultRow['role'];
  readonly method: ResultRow['method'];
  readonly accuracy: Spread;
  readonly pgr: Spread | null;
  readonly agreement: Spread;
}

export interface Scenario {
  readonly name: string;
  /** Hash of the config without seed and storage: which runs belong together. */
  readonly configHash: string;
  /** The config of the first run (seed and storage as that run had them). */
  readonly config: RunConfig;
  readonly runs: readonly FinishedRun[];
  /** Runs of a config and seed already counted (a re-run, often answered from the cache), each with the run it repeats. */
  readonly repeats: ReadonlyArray<{ readonly runId: string; readonly of: string }>;
  readonly seeds: readonly number[];
  /** Students whose settings were chosen per seed on the validation split (runs of a `w2s sweep`). */
  readonly choices: readonly StudentChoice[];
  /** The threshold values the runs covered, ascending; empty when nothing was chosen. */
  readonly thresholds: readonly number[];
  /** The sweep's axes: each chosen parameter's values (`{ theta: [0.25, 0.5, 1] }`, `{ weightDecay: [0.0001, 0.1] }`); a strong setting only where the runs differ in it. */
  readonly swept: Readonly<Record<string, readonly number[]>>;
  /** The models as chosen by ground truth on validation (the table's rows). */
  readonly models: readonly ModelSummary[];
  /** Where the sweep recorded agreement with the teacher on validation: each criterion's choices and the models they give. */
  readonly selections: ReadonlyArray<{ readonly criterion: SelectionCriterion; readonly choices: readonly StudentChoice[]; readonly models: readonly ModelSummary[] }>;
  readonly verdicts: readonly string[];
}

export function spread(values: readonly number[]): Spread {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, sd, n };
}

/**
 * What makes runs the same scenario: everything but the seed and where they
 * were stored, and, where the config has a validation split to choose them
 * on, the students' thresholds (the runs of a `--theta` / `--final-alpha` sweep). A student
 * named after its method is the same student as one left unnamed (`w2s
 * sweep` names every student it runs).
 */
export function scenarioKey(config: RunConfig): string {
  const { seed: _seed, storage: _storage, students, ...rest } = config;
  const unnamed = students.map(({ name, ...student }) => (name === undefined || name === student.method ? student : { ...student, name }));
  if (!choosesOnValidation(config)) return hashJson(JSON.parse(canonicalJson({ ...rest, students: unnamed })) as unknown);
  // The weight decay and the patience are sweep axes, chosen on validation like the thresholds.
  const { weightDecay: _weightDecay, ...optimizer } = rest.strong.optimizer;
  const { earlyStopping, ...strong } = rest.strong;
  const monitor = earlyStopping ? { earlyStopping: { monitor: earlyStopping.monitor } } : {};
  const shared = { ...rest, strong: { ...strong, ...monitor, optimizer }, students: unnamed.map((student) => withoutThresholds(student)) };
  return hashJson(JSON.parse(canonicalJson(shared)) as unknown);
}

/**
 * Runs grouped into scenarios. A run of a config and seed already seen (the
 * same command run again, its stages from the cache) measures nothing new:
 * it is counted once, the earliest run standing for both, and listed as a
 * repeat, so a re-run does not pass for a second seed with no spread.
 */
export function scenarios(runs: readonly FinishedRun[]): Scenario[] {
  const started = (run: FinishedRun) => run.lineage?.startedAt ?? '';
  const first = new Map<string, FinishedRun>();
  const repeats = new Map<string, Array<{ runId: string; of: string }>>();
  const groups = new Map<string, FinishedRun[]>();
  for (const run of [...runs].sort((a, b) => started(a).localeCompare(started(b)) || a.runId.localeCompare(b.runId))) {
    const key = scenarioKey(run.config);
    const { storage: _storage, ...measured } = run.config;
    const same = first.get(hashJson(measured));
    if (same) {
      repeats.set(key, [...(repeats.get(key) ?? []), { runId: run.runId, of: same.runId }]);
      continue;
    }
    first.set(hashJson(measured), run);
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  return [...groups.entries()]
    .map(([configHash, group]) => summarize(configHash, [...group].sort((a, b) => a.config.seed - b.config.seed || a.runId.localeCompare(b.runId)), repeats.get(configHash) ?? []))
    .sort((a, b) => a.name.localeCompare(b.name) || a.configHash.localeCompare(b.configHash));
}

function summarize(configHash: string, runs: readonly FinishedRun[], repeats: Scenario['repeats']): Scenario {
  const first = runs[0]!;
  const { perSeed, choices, thresholds, swept } = chooseOnValidation(runs);
  const models = modelSummaries(first, perSeed);
  const selections = choices.length > 0 && hasTeacherSelection(runs)
    ? (['ground-truth', 'teacher'] as const).map((criterion) => {
        const chosen = chooseOnValidation(runs, criterion);
        return { criterion, choices: chosen.choices, models: modelSummaries(first, chosen.perSeed) };
      })
    : [];
  return { name: first.config.name, configHash, config: first.config, runs, repeats, seeds: perSeed.map((r) => r.config.seed), choices, thresholds, swept, models, selections, verdicts: verdicts(perSeed) };
}

function modelSummaries(first: FinishedRun, perSeed: readonly FinishedRun[]): ModelSummary[] {
  const names = first.rows.map((r) => r.name);
  return names.map((name): ModelSummary => {
    const rows = perSeed.flatMap((run) => run.rows.filter((r) => r.name === name));
    const template = rows[0]!;
    const pgrs = rows.flatMap((r) => (r.pgr === null ? [] : [r.pgr]));
    return {
      name,
      role: template.role,
      method: template.method,
      accuracy: spread(rows.map((r) => r.accuracy)),
      pgr: pgrs.length === rows.length && pgrs.length > 0 ? spread(pgrs) : null,
      agreement: spread(rows.map((r) => r.agreement)),
    };
  });
}

/**
 * Plain statements about AdaptConf: against its teacher on every seed (in
 * standard errors of the test split), and against each other weak-label
 * student in mean accuracy. Where it does not win, the statement says so.
 */
export function verdicts(runs: readonly FinishedRun[]): string[] {
  const out: string[] = [];
  const adaptconfNames = [...new Set(runs.flatMap((run) => run.rows.filter((r) => r.method === 'adaptconf').map((r) => r.name)))];
  if (adaptconfNames.length === 0) return ['No AdaptConf student in this scenario.'];
  for (const name of adaptconfNames) {
    const margins = runs.map((run) => {
      const weak = run.rows.find((r) => r.role === 'weak');
      const student = run.rows.find((r) => r.name === name);
      if (!weak || !student) return undefined;
      const se = accuracyStandardError(weak.accuracy, weak.examples);
      return { seed: run.config.seed, points: 100 * (student.accuracy - weak.accuracy), se: se > 0 ? (student.accuracy - weak.accuracy) / se : 0 };
    });
    const known = margins.filter((m) => m !== undefined);
    const list = known.map((m) => `seed ${m.seed}: ${m.points >= 0 ? '+' : ''}${m.points.toFixed(2)} points, ${m.se.toFixed(1)} SE`).join('; ');
    const worst = Math.min(...known.map((m) => m.se));
    if (worst >= 3) out.push(`${name} beats its weak teacher on every seed by at least 3 standard errors of the test split (${list}).`);
    else if (known.every((m) => m.points > 0)) out.push(`${name} beats its weak teacher on every seed, but not by 3 standard errors of the test split on all of them (${list}).`);
    else out.push(`${name} does NOT beat its weak teacher on every seed (${list}).`);

    const mean = (rowName: string) => spread(runs.flatMap((run) => run.rows.filter((r) => r.name === rowName).map((r) => r.accuracy))).mean;
    const others = [...new Set(runs.flatMap((run) => run.rows.filter((r) => r.role === 'student' && r.method !== 'adaptconf').map((r) => r.name)))];
    const beaten = others.filter((other) => mean(name) > mean(other));
    const notBeaten = others.filter((other) => mean(name) <= mean(other));
    if (notBeaten.length > 0) out.push(`${name} does NOT beat ${notBeaten.map((o) => `${o} (${(100 * mean(o)).toFixed(2)}% against ${(100 * mean(name)).toFixed(2)}%)`).join(', ')} in mean accuracy.`);
    if (beaten.length > 0) out.push(`${name} beats ${beaten.join(', ')} in mean accuracy${runs.length > 1 ? ' (compare the spread over seeds before calling the order settled)' : ''}.`);
  }
  return out;
}
