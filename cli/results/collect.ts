/**
 * Finished runs as `w2s results` reads them from storage: each run's results
 * table, the run config its report recorded, its lineage summary (wall time,
 * backends, workers, code versions) and, where a sweep evaluated its
 * students on the validation split, their validation accuracies and their
 * agreement there with the teacher's labels.
 */
import { BadInputError } from '../../core/errors.js';
import type { LineageSummary } from '../../lineage/summary.js';
import { RunConfigSchema, type RunConfig } from '../../schemas/pipeline.js';
import { EvaluationDetailsSchema } from '../../schemas/report-data.js';
import type { ResultRow } from '../../schemas/stages.js';
import { validationStage, validationStageModel } from '../../schemas/plan.js';
import { evaluationDetailsPrefix, lineageSummaryKey, reportKey, runOfReportKey, runsPrefix, stageKey, stageOfKey } from '../../storage/layout.js';
import type { ObjectStore } from '../../storage/object-store.js';

export interface FinishedRun {
  readonly runId: string;
  readonly config: RunConfig;
  readonly rows: readonly ResultRow[];
  readonly lineage?: LineageSummary;
  /** Validation accuracy by student name, for the students a sweep evaluated on the validation split. */
  readonly validation?: Readonly<Record<string, number>>;
  /** Agreement with the teacher's labels on the validation split, by student name, where the sweep's evaluation had them. */
  readonly validationAgreement?: Readonly<Record<string, number>>;
}

/** Every run under `runs/` whose report was written, in run id order. */
export async function collectRuns(store: ObjectStore): Promise<FinishedRun[]> {
  return Promise.all((await reportedRuns(store)).map((runId) => readRun(store, runId)));
}

/** The runs whose id begins with `start` and whose report was written, in run id order. */
export async function reportedRuns(store: ObjectStore, start = ''): Promise<string[]> {
  return (await store.list(runsPrefix(start))).flatMap((key) => runOfReportKey(key, 'table') ?? []).sort();
}

export async function readRun(store: ObjectStore, runId: string): Promise<FinishedRun> {
  const text = async (key: string) => new TextDecoder().decode(await store.get(key));
  const rows = JSON.parse(await text(reportKey(runId, 'table'))) as ResultRow[];
  const configKey = reportKey(runId, 'config');
  const config = (await store.exists(configKey))
    ? parseConfig(store.uriOf(configKey), JSON.parse(await text(configKey)))
    : configOfReport(store.uriOf(reportKey(runId, 'markdown')), await text(reportKey(runId, 'markdown')));
  const summaryKey = lineageSummaryKey(runId);
  const lineage = (await store.exists(summaryKey)) ? (JSON.parse(await text(summaryKey)) as LineageSummary) : undefined;
  const { accuracy: validation, agreement: validationAgreement } = await validationMetrics(store, runId);
  return {
    runId,
    config,
    rows,
    ...(lineage ? { lineage } : {}),
    ...(Object.keys(validation).length > 0 ? { validation } : {}),
    ...(Object.keys(validationAgreement).length > 0 ? { validationAgreement } : {}),
  };
}

/**
 * Each student's accuracy on the validation split, from the evaluations a
 * sweep ran there (`evaluate-validation-<student>`), and its agreement with
 * the teacher's labels there where the evaluation had them. An evaluation's
 * file is named by its content, so a stage leaves one; a student with
 * several (which one the sweep read is unknown) gets none.
 */
async function validationMetrics(store: ObjectStore, runId: string): Promise<{ accuracy: Record<string, number>; agreement: Record<string, number> }> {
  const found = new Map<string, number[]>();
  const agreeing = new Map<string, Array<number | undefined>>();
  // Every validation stage's folder begins so: the stage name of an empty model name.
  for (const key of await store.list(stageKey(runId, validationStage('')))) {
    const stage = stageOfKey(runId, key);
    const name = stage === undefined ? undefined : validationStageModel(stage);
    if (stage === undefined || name === undefined || !key.startsWith(evaluationDetailsPrefix(runId, stage))) continue;
    const parsed = EvaluationDetailsSchema.safeParse(JSON.parse(new TextDecoder().decode(await store.get(key))));
    if (!parsed.success) throw new BadInputError(store.uriOf(key), `is not an evaluation this version can read: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    const { confusion, examples } = parsed.data;
    const correct = confusion.reduce((sum, row, i) => sum + (row[i] ?? 0), 0);
    found.set(name, [...(found.get(name) ?? []), examples > 0 ? correct / examples : 0]);
    const { teacher } = parsed.data;
    agreeing.set(name, [...(agreeing.get(name) ?? []), teacher && examples > 0 ? (teacher.right.agreeing + teacher.wrong.agreeing) / examples : undefined]);
  }
  const single = (map: Map<string, Array<number | undefined>>) =>
    Object.fromEntries([...map].flatMap(([name, values]) => (values.length === 1 && values[0] !== undefined ? [[name, values[0]]] : [])));
  return { accuracy: single(found), agreement: single(agreeing) };
}

/** The run config a report of an earlier version recorded in its "Configuration" section (a JSON block); reports now write `config.json`. */
export function configOfReport(where: string, markdown: string): RunConfig {
  const match = /## Configuration\s+```json\n([\s\S]*?)\n```/.exec(markdown);
  if (!match?.[1]) throw new BadInputError(where, 'has no "## Configuration" JSON block');
  return parseConfig(where, JSON.parse(match[1]));
}

function parseConfig(where: string, json: unknown): RunConfig {
  const parsed = RunConfigSchema.safeParse(json);
  if (!parsed.success) throw new BadInputError(where, `records a run config this version cannot read: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}
