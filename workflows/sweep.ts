/**
 * A grid sweep: one child pipeline per point of (method, theta, finalAlpha,
 * temperature, weightDecay, patience, seed). Children share cached stages
 * (ingest, the teacher, its soft labels, the ceiling, students a point does
 * not change) whenever those stages read the same inputs, and the sweep
 * collects one table. Each loss
 * axis is named as in the loss schema and sets that parameter in the
 * students whose method takes it (adaptconf's `theta`, augconf's
 * `finalAlpha`, the distilling methods' `temperature`); `weightDecay` sets
 * the strong students' optimizer weight decay, `patience` their early
 * stopping's patience.
 *
 * Hyperparameters are chosen on the validation split, never on the test
 * split: when the dataset has a validation split, every student and the
 * ceiling are also evaluated there (accuracy, and agreement with the
 * teacher's labels of it), and for each seed and student the point with the
 * best validation accuracy is marked `selected`. Without a validation split
 * nothing is selected (the test split would be the only one left to choose
 * on).
 *
 * A point that fails does not stop the others: every child runs to its end,
 * and then the sweep fails naming each failed point and why, with the rows
 * of those that completed in the failure's details.
 */
import { ApplicationFailure, executeChild, isCancellation, workflowInfo } from '@temporalio/workflow';
import { lossParameters, lossTraits, type LossMethod } from '../schemas/losses.js';
import { type RunConfig, studentName } from '../schemas/pipeline.js';
import { validationStage } from '../schemas/plan.js';
import type { PipelineResult, ResultRow } from '../schemas/stages.js';
import { cpuStages, stageCall } from './activities.js';
import { mapWithLimit } from './concurrency.js';
import { startMemo, startSearchAttributes } from './run-metadata.js';
import { bestOnValidation, LOSS_AXES } from './sweep-axes.js';
import { weakToStrong } from './weak-to-strong.js';

export interface SweepGrid {
  readonly method?: readonly LossMethod[];
  readonly theta?: readonly number[];
  readonly finalAlpha?: readonly number[];
  readonly temperature?: readonly number[];
  readonly seed?: readonly number[];
  /** The strong students' optimizer weight decay (`strong.optimizer.weightDecay`); the ceiling trains with each value too. */
  readonly weightDecay?: readonly number[];
  /** Early stopping's patience in epochs (`strong.earlyStopping.patience`; the monitor stays the config's, else the teacher's labels). */
  readonly patience?: readonly number[];
}

export interface SweepPoint {
  readonly method?: LossMethod;
  readonly theta?: number;
  readonly finalAlpha?: number;
  readonly temperature?: number;
  readonly seed?: number;
  readonly weightDecay?: number;
  readonly patience?: number;
}

/** The axes in grid order, and each one's part of a point's run id (`<sweepId>-adaptconf-theta0p5-T2-s1`). */
const AXES = [
  ['method', (v: number | string) => String(v)],
  ['theta', (v: number | string) => `theta${v}`],
  ['finalAlpha', (v: number | string) => `finalAlpha${v}`],
  ['temperature', (v: number | string) => `T${v}`],
  ['weightDecay', (v: number | string) => `wd${v}`],
  ['patience', (v: number | string) => `pat${v}`],
  ['seed', (v: number | string) => `s${v}`],
] as const;

export interface SweepInput {
  /** The base config, parsed by `w2s sweep`; each point's child run parses its own. */
  readonly config: RunConfig;
  readonly grid: SweepGrid;
  /** Child pipelines in flight at once. */
  readonly parallelism?: number;
}

export interface SweepRow extends ResultRow {
  readonly point: SweepPoint;
  readonly runId: string;
  /** Accuracy on the validation split (students and the ceiling; null without a validation split). */
  readonly validationAccuracy?: number | null;
  /** Agreement with the teacher's labels on the validation split: what a user without ground truth can choose by. */
  readonly validationAgreement?: number | null;
  /** The point chosen for this seed and student by validation accuracy. */
  readonly selected?: boolean;
}

export async function sweep({ config, grid, parallelism = 2 }: SweepInput): Promise<SweepRow[]> {
  const sweepId = workflowInfo().workflowId;
  const points = gridPoints(grid);
  const outcomes = await mapWithLimit(points, parallelism, async (point): Promise<SweepRow[] | FailedPoint> => {
    const child = pointConfig(config, point);
    const runId = `${sweepId}-${pointKey(point)}`;
    let result: PipelineResult;
    try {
      result = await executeChild(weakToStrong, { workflowId: runId, args: [{ config: child }], memo: { ...startMemo(child) }, typedSearchAttributes: startSearchAttributes(child) });
    } catch (error) {
      if (isCancellation(error)) throw error;
      return { runId, point, error: rootMessage(error) };
    }
    const validation = await validationMetrics(config, runId, result);
    return result.rows.map((row): SweepRow => ({
      ...row,
      point,
      runId,
      ...(validation ? { validationAccuracy: validation.get(row.name)?.accuracy ?? null, validationAgreement: validation.get(row.name)?.agreement ?? null } : {}),
    }));
  });
  const rows = selectOnValidation(outcomes.flatMap((outcome) => (Array.isArray(outcome) ? outcome : [])));
  const failed = outcomes.filter((outcome): outcome is FailedPoint => !Array.isArray(outcome));
  if (failed.length > 0) {
    const which = failed.map((f) => `${f.runId}: ${f.error}`).join('; ');
    throw ApplicationFailure.nonRetryable(`${failed.length} of ${points.length} sweep points failed (the others completed): ${which}`, 'SweepPointsFailed', { failed, rows });
  }
  return rows;
}

/** A sweep point whose child pipeline failed, and why. */
export interface FailedPoint {
  readonly runId: string;
  readonly point: SweepPoint;
  readonly error: string;
}

/** The innermost cause's message: a child's failure wraps the failed stage's, which says what went wrong. */
function rootMessage(error: unknown): string {
  let current = error as { message?: string; cause?: unknown } | undefined;
  while (current?.cause) current = current.cause as { message?: string; cause?: unknown };
  return current?.message ?? String(error);
}

/**
 * Each student's (and the ceiling's) accuracy on the child's validation
 * split, and its agreement there with the teacher's labels (its storage and
 * execution are the base config's); undefined when the child has no
 * validation split.
 */
async function validationMetrics(config: RunConfig, runId: string, result: PipelineResult): Promise<Map<string, { accuracy: number; agreement: number | null }> | undefined> {
  const shards = result.splits.validation ?? [];
  if (shards.length === 0) return undefined;
  const cpu = cpuStages(config.execution);
  const teacherLogits = result.teacherLabels?.validation ?? [];
  const students = result.rows.filter((row) => row.role !== 'weak');
  const metrics = await Promise.all(
    students.map((row) =>
      cpu.evaluateModel.executeWithOptions(stageCall(`evaluate-validation-${runId}-${row.name}`, `evaluate ${row.name} of ${runId} on the validation split`), [
        { runId, storage: config.storage, stage: validationStage(row.name), name: row.name, model: row.model, manifest: result.manifest, shards, teacherLogits },
      ]),
    ),
  );
  return new Map(metrics.map((m) => [m.name, { accuracy: m.accuracy, agreement: teacherLogits.length > 0 ? m.agreement : null }]));
}

/**
 * Marks, for each seed and student, the point whose validation accuracy is
 * highest (the first in grid order on a tie). Rows without a validation
 * accuracy are never selected.
 */
export function selectOnValidation(rows: readonly SweepRow[]): SweepRow[] {
  const chosen = new Set(bestOnValidation(rows, (row) => `${row.point.seed ?? ''}|${row.point.method ?? ''}|${row.name}`, (row) => row.validationAccuracy).values());
  return rows.map((row) => (row.validationAccuracy === undefined || row.validationAccuracy === null ? row : { ...row, selected: chosen.has(row) }));
}

export function gridPoints(grid: SweepGrid): SweepPoint[] {
  const axes: Array<[keyof SweepPoint, readonly (number | string)[]]> = AXES.map(([key]): [keyof SweepPoint, readonly (number | string)[]] => [key, grid[key] ?? []]).filter(([, values]) => values.length > 0);
  let points: Array<Record<string, number | string>> = [{}];
  for (const [key, values] of axes) points = points.flatMap((p) => values.map((v) => ({ ...p, [key]: v })));
  return points as SweepPoint[];
}

function pointKey(point: SweepPoint): string {
  const parts = AXES.flatMap(([key, part]) => (point[key] !== undefined ? [part(point[key])] : []));
  return parts.join('-').replace(/\./g, 'p') || 'base';
}

/** A point's student as written, not parsed: its run's validate stage parses it and fills in the method's defaults. */
export type PointStudent = { readonly method: LossMethod; readonly name?: string } & Readonly<Record<string, unknown>>;
/** A point's config as submitted to its run. */
export type PointConfig = Omit<RunConfig, 'students'> & { readonly students: readonly PointStudent[] };

/** Student fields that are not loss parameters. */
const STUDENT_FIELDS = ['name', 'model', 'epochs', 'batchSize'];

/**
 * The base config with the point applied to every student that learns from
 * the teacher (renamed after the point). A loss parameter goes only
 * to students whose loss reads it, so the others stay cache hits across points. A student given another method keeps
 * the parameters that method also takes; the child's validate stage fills in
 * the new method's defaults.
 */
export function pointConfig(config: RunConfig, point: SweepPoint): PointConfig {
  const students = config.students.map((student): PointStudent => {
    if (lossTraits(student.method).groundTruthOnly) return student;
    const method = point.method ?? student.method;
    const takes = lossParameters(method);
    const kept = Object.entries(student).filter(([key]) => STUDENT_FIELDS.includes(key) || takes.includes(key));
    const set = LOSS_AXES.flatMap((axis) => (point[axis] !== undefined && takes.includes(axis) ? [[axis, point[axis]]] : []));
    const name = point.method !== undefined ? `${studentName(student)}-as-${point.method}` : studentName(student);
    return { ...Object.fromEntries([...kept, ...set]), method, name };
  });
  const decayed = point.weightDecay === undefined ? config.strong : { ...config.strong, optimizer: { ...config.strong.optimizer, weightDecay: point.weightDecay } };
  const strong = point.patience === undefined ? decayed : { ...decayed, earlyStopping: { monitor: config.strong.earlyStopping?.monitor ?? 'teacher', patience: point.patience } };
  return { ...config, seed: point.seed ?? config.seed, strong, students };
}
