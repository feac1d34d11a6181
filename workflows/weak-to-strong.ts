/**
 * The weak-to-strong pipeline: ingest, train the weak teacher on W, label S
 * and the evaluation splits shard by shard, train every student, evaluate,
 * report, summarise lineage. Orchestration only: every stage is an activity.
 */
import { ApplicationFailure, defineQuery, isCancellation, setHandler, upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { ExecutionConfigSchema } from '../schemas/pipeline.js';
import { batchSizeProblems, derivePlan, LABELED_SPLITS, type LabeledSplit, labelStage, type RunPlan, STAGE } from '../schemas/plan.js';
import { PROGRESS_QUERY } from '../schemas/names.js';
import {
  type IngestOutput,
  type ObjectRef,
  type PipelineProgress,
  type PipelineResult,
  type ResultRow,
  type ShardRef,
  type StageStatus,
  type StageTimes,
  type TrainOutput,
} from '../schemas/stages.js';
import { cpuStages, labelStages, stageCall, trainingStages } from './activities.js';
import { provideBackbones, studentBackbone } from './backbones.js';
import { mapWithLimit } from './concurrency.js';
import { BEST_PGR, DATASET_ID, startMemo, startSearchAttributes } from './run-metadata.js';

export const progressQuery = defineQuery<PipelineProgress>(PROGRESS_QUERY);

/**
 * What a run is started with: the plan `w2s` made of the config (schemas/plan.ts),
 * or a config as another client wrote it, which the validate stage plans.
 */
export type WeakToStrongInput = { readonly plan: RunPlan } | { readonly config: unknown };

/** Timeouts for the validate stage, before the run's own execution settings are known. */
const DEFAULT_EXECUTION = ExecutionConfigSchema.parse({});

export async function weakToStrong(input: WeakToStrongInput): Promise<PipelineResult> {
  const runId = workflowInfo().workflowId;
  const state = new ProgressState(runId);
  setHandler(progressQuery, () => state.snapshot());

  try {
    state.plan([STAGE.validate]);
    const submitted = 'plan' in input ? { plan: input.plan } : { config: input.config };
    const validated = await state.run(STAGE.validate, () => cpuStages(DEFAULT_EXECUTION).validateRun.executeWithOptions(stageCall(STAGE.validate, 'validate the run config'), [{ ...submitted, runId }]), STAGE.validate);
    // The validated config's plan: derived, not parsed again.
    const plan = derivePlan(validated.config, runId);
    const config = plan.config;
    // Whoever started the run set these from the submitted config; set them again from the resolved one (a run started by another client may lack them).
    upsertSearchAttributes(startSearchAttributes(config));
    upsertMemo({ ...startMemo(config), configHash: validated.configHash });
    const teacherStage = plan.teacher.stages.train;
    state.plan(plan.stages);

    const cpu = cpuStages(config.execution);
    const label = labelStages(config.execution);
    const training = trainingStages(config.execution);
    const ctx = (stage: string) => ({ runId, storage: config.storage, stage });

    const data = await state.run(STAGE.ingest, async () => checkBatchSizes(plan, await cpu.ingest.executeWithOptions(stageCall(STAGE.ingest, `ingest ${config.dataset.source}`), [{ ...ctx(STAGE.ingest), dataset: config.dataset, seed: config.seed }])), STAGE.ingest);
    upsertSearchAttributes([{ key: DATASET_ID, value: data.datasetId }]);
    const labelStageNames = LABELED_SPLITS.flatMap((split) => shardsOf(data, split).map(labelStageName));
    state.plan(labelStageNames, teacherStage);

    // Backbones the students start from (`strong.init`): pretrained once here, shared by every student asking for one.
    const backbones = await provideBackbones(config, runId, data, plan.backbones.sources, { cpu, training, track: (stage, fn) => state.run(stage, fn, 'pretrain') });

    const weak = await state.run(
      teacherStage,
      async () => {
        const { checkpoint, train, name } = plan.teacher;
        if (checkpoint) return cpu.importModel.executeWithOptions(stageCall(teacherStage, `import the weak teacher from ${checkpoint}`), [{ ...ctx(teacherStage), uri: checkpoint, expected: { model: train.model, shape: data.shape, numClasses: data.numClasses } }]);
        const out = await training.trainModel.executeWithOptions(stageCall(teacherStage, `train the weak teacher (${train.model}, ${train.epochs} epochs)`), [
          {
            ...ctx(teacherStage),
            role: 'teacher',
            name,
            train,
            manifest: data.manifest,
            shards: shardsOf(data, 'weak'),
            execution: config.execution,
          },
        ]);
        return { ...out.model, cached: out.cached };
      },
      teacherStage,
    );
    const teacher: ObjectRef = { key: weak.key, sha256: weak.sha256, bytes: weak.bytes };

    state.phase = 'label';
    const softLabels = await labelSplits(data, state, config.execution.labelParallelism, (shard, stage) =>
      label.labelShard.executeWithOptions(stageCall(stage, `label ${shard.split} shard ${shard.index} with the weak teacher`), [
        { ...ctx(stage), teacher, manifest: data.manifest, shard, batchSize: config.execution.labelBatchSize },
      ]),
    );

    state.phase = 'train-students';
    // What early stopping watches: the validation split, with the teacher's labels of it when it scores agreement with them.
    const earlyStoppingData = (monitor: 'teacher' | 'ground-truth') => ({
      shards: shardsOf(data, 'validation'),
      ...(monitor === 'teacher' ? { softLabels: softLabels.validation ?? [] } : {}),
    });
    const students = await mapWithLimit(plan.students, config.execution.trainParallelism, (student) => {
      const { name, train, method } = student;
      const stage = student.stages.train;
      const backbone = studentBackbone(plan.backbones, backbones, name);
      return state.run(stage, () =>
        training.trainModel.executeWithOptions(stageCall(stage, `train student ${name} (${method}, ${backbone?.kind === 'imported' ? 'imported Layers model' : train.model}, ${train.epochs} epochs)`), [
          {
            ...ctx(stage),
            role: 'student',
            name,
            train,
            manifest: data.manifest,
            shards: shardsOf(data, 'transfer'),
            ...(student.softLabels ? { softLabels: softLabels.transfer ?? [] } : {}),
            execution: config.execution,
            ...(backbone ? { backbone } : {}),
            ...(train.earlyStopping ? { validation: earlyStoppingData(train.earlyStopping.monitor) } : {}),
          },
        ]),
      );
    });

    state.phase = 'evaluate';
    const trained = [
      { plan: plan.teacher, model: teacher },
      ...plan.students.map((student, i) => ({ plan: student, model: (students[i] as TrainOutput).model })),
    ];
    const models = await Promise.all(
      trained.map(async ({ plan: { name, role, method, stages }, model }) => {
        const m = { name, role, method, model };
        const stage = stages.evaluate;
        const metrics = await state.run(stage, () =>
          cpu.evaluateModel.executeWithOptions(stageCall(stage, `evaluate ${m.name} on the test split`), [
            { ...ctx(stage), name: m.name, model: m.model, manifest: data.manifest, shards: shardsOf(data, 'test'), teacherLogits: softLabels.test ?? [] },
          ]),
        );
        return { ...m, metrics };
      }),
    );

    const report = await state.run(STAGE.report, () => cpu.writeReport.executeWithOptions(stageCall(STAGE.report, 'write the HTML and Markdown report'), [{ ...ctx(STAGE.report), runName: config.name, datasetId: data.datasetId, models, config }]), STAGE.report);
    state.rows = [...report.rows];
    recordBestStudent(report.rows);
    const lineage = await state.run(STAGE.lineage, () => cpu.summarizeRunLineage.executeWithOptions(stageCall(STAGE.lineage, "summarise the run's lineage"), [{ runId, storage: config.storage }]), STAGE.lineage);
    state.phase = 'done';
    const teacherLabels = softLabels.validation?.length ? { teacherLabels: { validation: softLabels.validation } } : {};
    return { runId, datasetId: data.datasetId, manifest: data.manifest, splits: data.splits, rows: report.rows, report, lineage, ...teacherLabels };
  } catch (error) {
    state.phase = isCancellation(error) ? 'cancelled' : 'failed';
    throw error;
  }
}

/**
 * The ingest output, or a non-retryable BadInputError listing every batch
 * larger than the split it trains on (the plan's rule, checked as soon as
 * ingest has counted the splits and before any training).
 */
function checkBatchSizes<T extends Pick<IngestOutput, 'splits'>>(plan: RunPlan, data: T): T {
  const problems = batchSizeProblems(plan, (split) => (data.splits[split] ?? []).reduce((n, shard) => n + shard.rows, 0));
  if (problems.length > 0) throw ApplicationFailure.nonRetryable(`run config ${plan.config.name}:\n  ${problems.join('\n  ')}`, 'BadInputError');
  return data;
}

/** The weak-label student with the best PGR, for `w2s list` (nothing when no student has one). */
function recordBestStudent(rows: readonly ResultRow[]): void {
  let best: ResultRow | undefined;
  for (const row of rows) {
    if (row.role !== 'student' || typeof row.pgr !== 'number' || !Number.isFinite(row.pgr)) continue;
    if (!best || row.pgr > (best.pgr as number)) best = row;
  }
  if (!best) return;
  upsertSearchAttributes([{ key: BEST_PGR, value: best.pgr as number }]);
  upsertMemo({ bestStudent: best.name });
}

function labelStageName(shard: ShardRef): string {
  return labelStage(shard.split, shard.index);
}

/** One labeling stage per shard, `parallelism` at a time; soft-label shards come back grouped by split, in shard order. */
async function labelSplits(
  data: IngestOutput,
  state: ProgressState,
  parallelism: number,
  labelOne: (shard: ShardRef, stage: string) => Promise<ShardRef>,
): Promise<Partial<Record<LabeledSplit, ShardRef[]>>> {
  const shards = LABELED_SPLITS.flatMap((split) => shardsOf(data, split));
  state.labelingTotal(shards.length);
  const labeled = await mapWithLimit(shards, parallelism, async (shard) => {
    const stage = labelStageName(shard);
    const out = await state.run(stage, () => labelOne(shard, stage));
    state.labeled();
    return out;
  });
  const bySplit: Partial<Record<LabeledSplit, ShardRef[]>> = {};
  shards.forEach((shard, i) => {
    const split = shard.split as LabeledSplit;
    (bySplit[split] ??= []).push(labeled[i] as ShardRef);
  });
  return bySplit;
}

function shardsOf(data: IngestOutput, split: string): ShardRef[] {
  return [...(data.splits[split] ?? [])];
}

/**
 * What the progress query answers: every stage in pipeline order (the
 * planned ones pending), with when each began and ended in workflow time,
 * which replays identically. How a training is going is not here: it lives
 * in the training's heartbeats, which add nothing to the history.
 */
class ProgressState {
  phase = 'start';
  rows: ResultRow[] = [];
  private order: string[] = [];
  private readonly stages: Record<string, StageStatus> = {};
  private readonly times: Record<string, StageTimes> = {};
  private labelDone = 0;
  private labelTotal = 0;

  constructor(private readonly runId: string) {}

  /** Adds stages not yet known as pending, after `after` (or at the end). */
  plan(stages: readonly string[], after?: string): void {
    const fresh = stages.filter((stage) => !(stage in this.stages));
    for (const stage of fresh) this.stages[stage] = 'pending';
    const at = after === undefined ? -1 : this.order.indexOf(after);
    if (at < 0) this.order.push(...fresh);
    else this.order.splice(at + 1, 0, ...fresh);
  }

  /** Runs one stage, tracking its status; `phase` names the step of the pipeline it belongs to. */
  async run<T>(stage: string, fn: () => Promise<T>, phase?: string): Promise<T> {
    if (phase) this.phase = phase;
    this.plan([stage]);
    this.stages[stage] = 'running';
    this.times[stage] = { startedAt: new Date().toISOString() };
    try {
      const out = await fn();
      this.end(stage, isCached(out) ? 'cached' : 'completed');
      return out;
    } catch (error) {
      this.end(stage, isCancellation(error) ? 'cancelled' : 'failed');
      throw error;
    }
  }

  labelingTotal(total: number): void {
    this.labelTotal = total;
  }

  labeled(): void {
    this.labelDone++;
  }

  snapshot(): PipelineProgress {
    return {
      runId: this.runId,
      phase: this.phase,
      stages: Object.fromEntries(this.order.map((stage) => [stage, this.stages[stage] as StageStatus])),
      stageTimes: { ...this.times },
      labeling: { done: this.labelDone, total: this.labelTotal },
      rows: this.rows,
    };
  }

  private end(stage: string, status: StageStatus): void {
    this.stages[stage] = status;
    const started = this.times[stage];
    if (started) this.times[stage] = { ...started, endedAt: new Date().toISOString() };
  }
}

function isCached(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'cached' in value && (value as { cached: unknown }).cached === true;
}
