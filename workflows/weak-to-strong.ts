/**
 * The weak-to-strong pipeline: ingest, train the weak teacher on W, label S
 * and the evaluation splits shard by shard, train every student, evaluate,
 * report, summarise lineage. Orchestration only: every stage is an activity.
 */
import { defineQuery, defineSignal, isCancellation, setHandler, workflowInfo } from '@temporalio/workflow';
import { lossTraits } from '../schemas/losses.js';
import { ExecutionConfigSchema, type RunConfig, studentName, studentTrainConfig, teacherTrainConfig } from '../schemas/pipeline.js';
import { PROGRESS_QUERY, TRAIN_PROGRESS_SIGNAL } from '../schemas/names.js';
import {
  type IngestOutput,
  type ObjectRef,
  type PipelineProgress,
  type PipelineResult,
  type ResultRow,
  type ShardRef,
  type StageStatus,
  type TrainOutput,
  type TrainProgress,
} from '../schemas/stages.js';
import { cpuStages, labelStages, trainingStages } from './activities.js';
import { mapWithLimit } from './concurrency.js';
import { checkBatchSizes } from './split-sizes.js';

export const progressQuery = defineQuery<PipelineProgress>(PROGRESS_QUERY);
export const trainProgressSignal = defineSignal<[TrainProgress]>(TRAIN_PROGRESS_SIGNAL);

export interface WeakToStrongInput {
  /** The run config as submitted; the validate stage parses it and fills in defaults. */
  readonly config: RunConfig;
}

/** Timeouts for the validate stage, before the run's own execution settings are known. */
const DEFAULT_EXECUTION = ExecutionConfigSchema.parse({});

/** Splits labeled by the teacher: S for the students, the rest for agreement at evaluation. */
const LABELED_SPLITS = ['transfer', 'validation', 'test'] as const;

export async function weakToStrong(input: WeakToStrongInput): Promise<PipelineResult> {
  const runId = workflowInfo().workflowId;
  const state = new ProgressState(runId);
  setHandler(progressQuery, () => state.snapshot());
  setHandler(trainProgressSignal, (progress) => state.training(progress));

  try {
    const config = await state.run('validate', () => cpuStages(DEFAULT_EXECUTION).validateRun({ config: input.config, runId }), 'validate');
    const cpu = cpuStages(config.execution);
    const label = labelStages(config.execution);
    const training = trainingStages(config.execution);
    const ctx = (stage: string) => ({ runId, storage: config.storage, stage });

    const data = await state.run('ingest', async () => checkBatchSizes(config, await cpu.ingest({ ...ctx('ingest'), dataset: config.dataset, seed: config.seed })), 'ingest');

    const weak = await state.run(
      'train-weak',
      async () => {
        if (config.teacher.checkpoint) return cpu.importModel({ ...ctx('train-weak'), uri: config.teacher.checkpoint, expected: { model: config.teacher.model, shape: data.shape, numClasses: data.numClasses } });
        const out = await training.trainModel({
          ...ctx('train-weak'),
          role: 'teacher',
          name: 'weak',
          train: teacherTrainConfig(config),
          manifest: data.manifest,
          shards: shardsOf(data, 'weak'),
          execution: config.execution,
        });
        return { ...out.model, cached: out.cached };
      },
      'train-weak',
    );
    const teacher: ObjectRef = { key: weak.key, sha256: weak.sha256, bytes: weak.bytes };

    state.phase = 'label';
    const softLabels = await labelSplits(data, state, config.execution.labelParallelism, (shard, stage) =>
      label.labelShard({ ...ctx(stage), teacher, manifest: data.manifest, shard, batchSize: config.execution.labelBatchSize }),
    );

    state.phase = 'train-students';
    const students = await mapWithLimit(config.students, config.execution.trainParallelism, (student) => {
      const name = studentName(student);
      const { groundTruthOnly } = lossTraits(student.method);
      return state.run(`train-${name}`, () =>
        training.trainModel({
          ...ctx(`train-${name}`),
          role: 'student',
          name,
          train: studentTrainConfig(config, student),
          manifest: data.manifest,
          shards: shardsOf(data, 'transfer'),
          ...(groundTruthOnly ? {} : { softLabels: softLabels.transfer ?? [] }),
          execution: config.execution,
        }),
      );
    });

    state.phase = 'evaluate';
    const trained = [
      { name: 'weak', role: 'weak' as const, method: 'weak' as const, model: teacher },
      ...config.students.map((student, i) => ({
        name: studentName(student),
        role: lossTraits(student.method).groundTruthOnly ? ('ceiling' as const) : ('student' as const),
        method: student.method,
        model: (students[i] as TrainOutput).model,
      })),
    ];
    const models = await Promise.all(
      trained.map(async (m) => {
        const metrics = await state.run(`evaluate-${m.name}`, () =>
          cpu.evaluateModel({ ...ctx(`evaluate-${m.name}`), name: m.name, model: m.model, manifest: data.manifest, shards: shardsOf(data, 'test'), teacherLogits: softLabels.test ?? [] }),
        );
        return { ...m, metrics };
      }),
    );

    const report = await state.run('report', () => cpu.writeReport({ ...ctx('report'), runName: config.name, datasetId: data.datasetId, models, config }), 'report');
    state.rows = [...report.rows];
    const lineage = await state.run('lineage', () => cpu.summarizeRunLineage({ runId, storage: config.storage }), 'lineage');
    state.phase = 'done';
    return { runId, datasetId: data.datasetId, manifest: data.manifest, splits: data.splits, rows: report.rows, report, lineage };
  } catch (error) {
    state.phase = isCancellation(error) ? 'cancelled' : 'failed';
    throw error;
  }
}

/** One labeling stage per shard, `parallelism` at a time; soft-label shards come back grouped by split, in shard order. */
async function labelSplits(
  data: IngestOutput,
  state: ProgressState,
  parallelism: number,
  labelOne: (shard: ShardRef, stage: string) => Promise<ShardRef>,
): Promise<Partial<Record<(typeof LABELED_SPLITS)[number], ShardRef[]>>> {
  const shards = LABELED_SPLITS.flatMap((split) => shardsOf(data, split));
  state.labelingTotal(shards.length);
  const labeled = await mapWithLimit(shards, parallelism, async (shard) => {
    const stage = `label-${shard.split}-${String(shard.index).padStart(5, '0')}`;
    const out = await state.run(stage, () => labelOne(shard, stage));
    state.labeled();
    return out;
  });
  const bySplit: Partial<Record<(typeof LABELED_SPLITS)[number], ShardRef[]>> = {};
  shards.forEach((shard, i) => {
    const split = shard.split as (typeof LABELED_SPLITS)[number];
    (bySplit[split] ??= []).push(labeled[i] as ShardRef);
  });
  return bySplit;
}

function shardsOf(data: IngestOutput, split: string): ShardRef[] {
  return [...(data.splits[split] ?? [])];
}

/** What the progress query answers; stage statuses are updated as awaits resolve. */
class ProgressState {
  phase = 'start';
  rows: ResultRow[] = [];
  private readonly stages: Record<string, StageStatus> = {};
  private readonly trainingProgress: Record<string, TrainProgress> = {};
  private labelDone = 0;
  private labelTotal = 0;

  constructor(private readonly runId: string) {}

  /** Runs one stage, tracking its status; `phase` names the step of the pipeline it belongs to. */
  async run<T>(stage: string, fn: () => Promise<T>, phase?: string): Promise<T> {
    if (phase) this.phase = phase;
    this.stages[stage] = 'running';
    try {
      const out = await fn();
      this.stages[stage] = isCached(out) ? 'cached' : 'completed';
      return out;
    } catch (error) {
      this.stages[stage] = isCancellation(error) ? 'cancelled' : 'failed';
      throw error;
    }
  }

  training(progress: TrainProgress): void {
    this.trainingProgress[progress.name] = progress;
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
      stages: { ...this.stages },
      labeling: { done: this.labelDone, total: this.labelTotal },
      training: { ...this.trainingProgress },
      rows: this.rows,
    };
  }
}

function isCached(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'cached' in value && (value as { cached: unknown }).cached === true;
}
