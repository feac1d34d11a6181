/**
 * A grid sweep: one child pipeline per point of (method, threshold,
 * temperature, seed). Children share cached stages (ingest, the teacher, its
 * soft labels, the ceiling) whenever those stages read the same inputs, and
 * the sweep collects one table. `threshold` sets each student's confidence
 * parameter: adaptconf's `theta`, augconf's `finalAlpha`.
 */
import { executeChild, workflowInfo } from '@temporalio/workflow';
import { lossParameters, lossTraits, type LossMethod } from '../schemas/losses.js';
import { type RunConfig, type StudentConfig, studentName } from '../schemas/pipeline.js';
import type { ResultRow } from '../schemas/stages.js';
import { mapWithLimit } from './concurrency.js';
import { weakToStrong } from './weak-to-strong.js';

export interface SweepGrid {
  readonly method?: readonly LossMethod[];
  readonly threshold?: readonly number[];
  readonly temperature?: readonly number[];
  readonly seed?: readonly number[];
}

export interface SweepPoint {
  readonly method?: LossMethod;
  readonly threshold?: number;
  readonly temperature?: number;
  readonly seed?: number;
}

export interface SweepInput {
  readonly config: RunConfig;
  readonly grid: SweepGrid;
  /** Child pipelines in flight at once. */
  readonly parallelism?: number;
}

export interface SweepRow extends ResultRow {
  readonly point: SweepPoint;
  readonly runId: string;
}

export async function sweep({ config, grid, parallelism = 2 }: SweepInput): Promise<SweepRow[]> {
  const sweepId = workflowInfo().workflowId;
  const points = gridPoints(grid);
  const tables = await mapWithLimit(points, parallelism, async (point) => {
    const child = pointConfig(config, point);
    const runId = `${sweepId}-${pointKey(point)}`;
    const result = await executeChild(weakToStrong, { workflowId: runId, args: [{ config: child }] });
    return result.rows.map((row) => ({ ...row, point, runId }));
  });
  return tables.flat();
}

export function gridPoints(grid: SweepGrid): SweepPoint[] {
  const axes: Array<[keyof SweepPoint, readonly (number | string)[]]> = (['method', 'threshold', 'temperature', 'seed'] as const)
    .map((key): [keyof SweepPoint, readonly (number | string)[]] => [key, grid[key] ?? []])
    .filter(([, values]) => values.length > 0);
  let points: Array<Record<string, number | string>> = [{}];
  for (const [key, values] of axes) points = points.flatMap((p) => values.map((v) => ({ ...p, [key]: v })));
  return points as SweepPoint[];
}

function pointKey(point: SweepPoint): string {
  const parts = [point.method, point.threshold !== undefined ? `th${point.threshold}` : undefined, point.temperature !== undefined ? `T${point.temperature}` : undefined, point.seed !== undefined ? `s${point.seed}` : undefined];
  return parts.filter((p) => p !== undefined).join('-').replace(/\./g, 'p') || 'base';
}

/** Parameters the `threshold` axis sets, in the methods that have one. */
const THRESHOLD_PARAMETERS = ['theta', 'finalAlpha'];
/** Student fields that are not loss parameters. */
const STUDENT_FIELDS = ['name', 'model', 'epochs', 'batchSize'];

/**
 * The base config with the point applied to every student that learns from
 * the teacher (renamed after the point). A student given another method keeps
 * the parameters that method also takes; the child's validate stage fills in
 * the new method's defaults.
 */
function pointConfig(config: RunConfig, point: SweepPoint): RunConfig {
  const students = config.students.map((student): StudentConfig => {
    if (lossTraits(student.method).groundTruthOnly) return student;
    const method = point.method ?? student.method;
    const takes = lossParameters(method);
    const kept = Object.entries(student).filter(([key]) => STUDENT_FIELDS.includes(key) || takes.includes(key));
    const threshold = point.threshold !== undefined ? takes.filter((p) => THRESHOLD_PARAMETERS.includes(p)).map((p) => [p, point.threshold]) : [];
    const temperature = point.temperature !== undefined && takes.includes('temperature') ? [['temperature', point.temperature]] : [];
    const name = point.method !== undefined ? `${studentName(student)}-as-${point.method}` : studentName(student);
    return { ...Object.fromEntries([...kept, ...threshold, ...temperature]), method, name } as StudentConfig;
  });
  return { ...config, seed: point.seed ?? config.seed, students };
}
