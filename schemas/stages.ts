/**
 * What the pipeline's stages take and return. Activities exchange storage
 * references, never data: a reference names an object and pins its content
 * by hash, so every hop can be verified and every cache key is exact.
 */
import type { LossConfig, TrainConfig } from './training.js';
import type { DatasetConfig, ExecutionConfig } from './pipeline.js';

/**
 * `key` is relative to the run's storage root (`datasets/<id>/manifest.json`):
 * references stay valid when the root is copied or moved, and a URI is formed
 * only when an object is opened (`ObjectStore.uriOf`).
 */
export interface ObjectRef {
  readonly key: string;
  readonly sha256: string;
  readonly bytes: number;
}

export interface ShardRef extends ObjectRef {
  readonly split: string;
  /** Position of the shard in its split (0, 1, ...): names the stages that work on it. */
  readonly index: number;
  readonly rows: number;
}

/** Identifies the run a stage belongs to and where it keeps its objects. */
export interface StageContext {
  /** The w2s run id (the pipeline workflow's id). */
  readonly runId: string;
  /** Storage root URI, absolute (resolved when the run was submitted). */
  readonly storage: string;
  /** Stage name, unique within the run: `ingest`, `train-weak`, `label-transfer-00003`, `train-adaptconf`... */
  readonly stage: string;
}

export interface IngestInput extends StageContext {
  readonly dataset: DatasetConfig;
  readonly seed: number;
}

export interface IngestOutput {
  readonly datasetId: string;
  readonly manifest: ObjectRef;
  readonly numClasses: number;
  readonly classNames: readonly string[];
  readonly shape: readonly [number, number, number];
  /** Shards of each split: `weak`, `transfer`, `validation`, `test`. */
  readonly splits: Readonly<Record<string, readonly ShardRef[]>>;
  readonly cached: boolean;
}

export interface TrainInput extends StageContext {
  readonly role: 'teacher' | 'student';
  /** Student name (or `weak` for the teacher). */
  readonly name: string;
  readonly train: TrainConfig;
  readonly manifest: ObjectRef;
  readonly shards: readonly ShardRef[];
  /** Teacher logits for `shards`, in the same order; absent for ground-truth training. */
  readonly softLabels?: readonly ShardRef[];
  readonly execution: Pick<ExecutionConfig, 'heartbeatSeconds' | 'checkpointEverySteps' | 'checkpointEverySeconds'> & Partial<Pick<ExecutionConfig, 'keepCheckpoints'>>;
}

export interface TrainOutput {
  readonly name: string;
  /** The trained weights, loadable for labeling and evaluation. */
  readonly model: ObjectRef;
  readonly steps: number;
  readonly epochs: number;
  /** Step the final attempt resumed from (0 when it started fresh). */
  readonly resumedFromStep: number;
  readonly finalLoss: number;
  readonly imagesPerSecond: number;
  readonly cached: boolean;
}

export interface TrainProgress {
  readonly name: string;
  readonly epoch: number;
  readonly step: number;
  readonly totalSteps: number;
  readonly loss: number;
  readonly parts: Readonly<Record<string, number>>;
  readonly imagesPerSecond: number;
  /** Storage key of the latest checkpoint. */
  readonly checkpoint?: string;
}

export interface LabelInput extends StageContext {
  readonly teacher: ObjectRef;
  readonly manifest: ObjectRef;
  readonly shard: ShardRef;
  readonly batchSize: number;
}

export interface EvaluateInput extends StageContext {
  readonly name: string;
  readonly model: ObjectRef;
  readonly manifest: ObjectRef;
  readonly shards: readonly ShardRef[];
  /** The weak teacher's logits on the same shards, for agreement. */
  readonly teacherLogits: readonly ShardRef[];
}

export interface ModelMetrics {
  readonly name: string;
  readonly examples: number;
  readonly accuracy: number;
  readonly top5?: number;
  readonly agreement: number;
  readonly ece: number;
}

export interface ResultRow extends ModelMetrics {
  readonly role: 'weak' | 'ceiling' | 'student';
  readonly method: LossConfig['method'] | 'weak';
  /** Performance gap recovered; null for the weak model and the ceiling. */
  readonly pgr: number | null;
  readonly model: ObjectRef;
}

export interface EvaluatedModel {
  readonly name: string;
  readonly role: ResultRow['role'];
  readonly method: ResultRow['method'];
  readonly model: ObjectRef;
  readonly metrics: ModelMetrics;
}

export interface ReportInput extends StageContext {
  readonly runName: string;
  readonly datasetId: string;
  readonly models: readonly EvaluatedModel[];
  readonly config: unknown;
}

export interface ReportOutput {
  /** The results table with PGR filled in. */
  readonly rows: readonly ResultRow[];
  readonly html: ObjectRef;
  readonly markdown: ObjectRef;
  readonly table: ObjectRef;
  readonly cached: boolean;
}

export { PROGRESS_QUERY, TRAIN_PROGRESS_SIGNAL } from './names.js';

export type StageStatus = 'pending' | 'running' | 'completed' | 'cached' | 'failed' | 'cancelled';

export interface PipelineProgress {
  readonly runId: string;
  /** The stage the pipeline is in: `validate`, `ingest`, `train-weak`, `label`, `train-students`, `evaluate`, `report`, `done`. */
  readonly phase: string;
  readonly stages: Readonly<Record<string, StageStatus>>;
  readonly labeling: { readonly done: number; readonly total: number };
  readonly training: Readonly<Record<string, TrainProgress>>;
  readonly rows: readonly ResultRow[];
}

export interface PipelineResult {
  readonly runId: string;
  readonly datasetId: string;
  readonly manifest: ObjectRef;
  readonly splits: Readonly<Record<string, readonly ShardRef[]>>;
  readonly rows: readonly ResultRow[];
  readonly report: ReportOutput;
  readonly lineage: ObjectRef;
}

export interface PromotionDecision {
  readonly registry: string;
  readonly promoted: boolean;
  readonly reason: string;
  readonly challenger: { readonly runId: string; readonly model: ObjectRef; readonly accuracy: number };
  readonly champion: { readonly runId: string; readonly model: ObjectRef; readonly accuracy: number } | null;
  readonly split: string;
  readonly decidedAt: string;
  readonly record: ObjectRef;
}

export interface PromoteInput extends StageContext {
  readonly registry: string;
  readonly split: string;
  readonly minGain: number;
  readonly manifest: ObjectRef;
  readonly shards: readonly ShardRef[];
  readonly challenger: { readonly name: string; readonly model: ObjectRef };
}

export interface LineageSummaryInput {
  readonly runId: string;
  readonly storage: string;
}
