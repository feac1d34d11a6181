/**
 * What the pipeline's stages take and return. Activities exchange storage
 * references, never data: a reference names an object and pins its content
 * by hash, so every hop can be verified and every cache key is exact.
 */
import type { LossConfig, TrainConfig } from './training.js';
import type { DatasetConfig, ExecutionConfig } from './pipeline.js';
import type { ImportedBackboneConfig, ImportedFormat, InitMode, PretrainConfig } from './pretrain.js';

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
  /** The config field that names `dataset`, for messages about its options (default `dataset`). */
  readonly field?: string;
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
  /** A pretrained backbone to start from instead of random weights (students only). */
  readonly backbone?: StudentBackbone;
  /** The validation split early stopping watches (`train.earlyStopping`), with the teacher's labels of it when it watches agreement with them. */
  readonly validation?: { readonly shards: readonly ShardRef[]; readonly softLabels?: readonly ShardRef[] };
}

export interface StudentBackbone {
  /** Weights of the student's architecture (`pretrain` output or a backbone `w2s pretrain` printed), or a saved imported Layers backbone (`import-layers` output). */
  readonly model: ObjectRef;
  readonly mode: InitMode;
  /** `imported`: `model` is a saved Layers backbone and the student is that model with a new head; absent: a zoo backbone of the student's own architecture. */
  readonly kind?: 'imported';
}

export interface ImportLayersInput extends StageContext {
  /** The `imported` entry of `strong.init` (or a student's `init`). */
  readonly imported: ImportedBackboneConfig;
  /** [height, width, channels] of the run's images: `imported.input` must bring them to the model's input. */
  readonly dataShape: readonly [number, number, number];
  /** The config field that names the entry, for errors (`strong.init.imported`). */
  readonly field: string;
  /** How the students on it train: a frozen model (ONNX, graph model) serves `probe` only, refused here before any work. */
  readonly modes?: readonly InitMode[];
}

/** The imported backbone, saved in the run's storage (ml/backbones/saved.ts), and where it came from. */
export interface ImportLayersOutput extends ObjectRef {
  /** URI of the model it was read from (the ONNX file or model.json), and the content hash of its files. */
  readonly source: { readonly uri: string; readonly sha256: string };
  /** The layer it was cut at (Layers), or the output that gives the features (ONNX, graph model); the default resolved. */
  readonly layer: string;
  /** The model's format, recognised from its file; absent: a Layers model (outputs of older runs). */
  readonly format?: ImportedFormat;
  readonly featureDim: number;
  readonly cached: boolean;
}

export interface PretrainInput extends StageContext {
  /** The encoder: the zoo model of the students that start from it. */
  readonly model: string;
  readonly pretrain: PretrainConfig;
  readonly manifest: ObjectRef;
  /** The unlabeled images it learns from (their labels are never read). */
  readonly shards: readonly ShardRef[];
  readonly execution: TrainInput['execution'];
  /** [height, width, channels] of the images the students train on, when the pretraining's are another dataset's: they must match. */
  readonly taskShape?: readonly [number, number, number];
}

export interface PretrainOutput {
  /** The pretrained encoder's weights (a zoo model whose last layer outputs the representation). */
  readonly backbone: ObjectRef;
  readonly model: string;
  readonly steps: number;
  readonly epochs: number;
  /** Mean NT-Xent loss of the last epoch. */
  readonly finalLoss: number;
  readonly resumedFromStep: number;
  readonly cached: boolean;
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
  /** Loss and accuracy curves and alpha histograms (schemas/report-data.ts), for the report. */
  readonly record: ObjectRef;
  readonly cached: boolean;
}

/**
 * How a training is going, carried in its heartbeats (beside the checkpoint a
 * retry resumes from). `w2s status` reads it from the server's description of
 * the run's pending activities: heartbeats add no events to the run's
 * history, however long the training.
 */
export interface TrainProgress {
  readonly name: string;
  /** The epoch being trained, from 1. */
  readonly epoch: number;
  readonly epochs: number;
  /** Optimizer steps completed, over the whole training. */
  readonly step: number;
  readonly totalSteps: number;
  readonly loss: number;
  readonly parts: Readonly<Record<string, number>>;
  readonly imagesPerSecond: number;
  /** Seconds this attempt has been training, and the step it started from: the pace an ETA is drawn from. */
  readonly elapsedSeconds: number;
  readonly startStep: number;
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
  /** The evaluate stage's output; its `details` (confusion matrix, teacher split) feed the report's plots. */
  readonly metrics: ModelMetrics & { readonly details?: ObjectRef };
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
  /** The run's configuration as JSON (`w2s results` reads it back). */
  readonly config: ObjectRef;
  readonly cached: boolean;
}

export { PROGRESS_QUERY } from './names.js';

export type StageStatus = 'pending' | 'running' | 'completed' | 'cached' | 'failed' | 'cancelled';

export interface PipelineProgress {
  readonly runId: string;
  /** The stage the pipeline is in: `validate`, `ingest`, `train-weak`, `label`, `train-students`, `evaluate`, `report`, `done`. */
  readonly phase: string;
  /** Every stage of the run, in pipeline order: the planned ones (`pending`) once validation has read the config, labeling shards once ingest has made them. */
  readonly stages: Readonly<Record<string, StageStatus>>;
  /** When each stage that has begun began and ended, in workflow time (ISO 8601). */
  readonly stageTimes: Readonly<Record<string, StageTimes>>;
  readonly labeling: { readonly done: number; readonly total: number };
  readonly rows: readonly ResultRow[];
}

export interface StageTimes {
  readonly startedAt: string;
  readonly endedAt?: string;
}

export interface PipelineResult {
  readonly runId: string;
  readonly datasetId: string;
  readonly manifest: ObjectRef;
  readonly splits: Readonly<Record<string, readonly ShardRef[]>>;
  readonly rows: readonly ResultRow[];
  readonly report: ReportOutput;
  readonly lineage: ObjectRef;
  /** The teacher's soft labels of the validation split, by shard (absent without one): selection by the teacher's labels reads them. */
  readonly teacherLabels?: { readonly validation: readonly ShardRef[] };
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
