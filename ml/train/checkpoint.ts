/**
 * Training checkpoints: everything needed to continue exactly where a run
 * stopped, as one tensor file (layout in ml/nn/tensor-file.ts).
 *
 * Header `meta`: format, version, model description, the resolved
 * TrainConfig, the data stream name, the position (optimizer steps done,
 * epoch, batches done in that epoch), the metric history and the running
 * totals of the unfinished epoch. Tensors: `model/<param>` (weights and
 * batch-norm running statistics) and `optimizer/<param>/<slot>`.
 *
 * There is no generator state to save: shuffling and augmentation draw from
 * generators keyed by (seed, stream, epoch, batch), which the position fixes.
 */
import { z } from 'zod';
import { BadInputError } from '../../core/errors.js';
import { TrainConfigSchema, type TrainConfig } from '../../schemas/training.js';
import type { Model } from '../models/model.js';
import { ModelDescriptionSchema, assignModelTensors, describeModel, modelTensors, tensorFromRecord, type ModelDescription } from '../models/serialize.js';
import { decodeTensorFile, encodeTensorFile, type TensorRecord } from '../nn/tensor-file.js';
import type { EarlyStoppingMeta } from './early-stopping.js';
import type { EpochMetrics, EpochTally } from './epoch-metrics.js';
import type { Optimizer } from './optimizers.js';
import { emptyTrace, type TrainingTrace } from './trace.js';

export const CHECKPOINT_FORMAT = 'w2s-checkpoint';
const CHECKPOINT_VERSION = 1;
const OPTIMIZER_PREFIX = 'optimizer/';

export interface TrainingPosition {
  /** Optimizer steps completed. */
  readonly step: number;
  /** The epoch the next batch belongs to (`epochs` once training is done). */
  readonly epoch: number;
  /** Batches of that epoch already trained on. */
  readonly batchInEpoch: number;
}

export interface CheckpointMeta {
  readonly format: typeof CHECKPOINT_FORMAT;
  readonly version: number;
  readonly model: ModelDescription;
  readonly config: TrainConfig;
  readonly stream: string;
  readonly position: TrainingPosition;
  readonly history: readonly EpochMetrics[];
  readonly tally: EpochTally;
  readonly trace: TrainingTrace;
  /** Early stopping's best epoch so far (its weights are the `best/` tensors); absent without early stopping or before the first epoch ends. */
  readonly early?: EarlyStoppingMeta;
}

const numberRecord = z.record(z.string(), z.number());

const EpochMetricsSchema = z.object({
  epoch: z.number().int().min(0),
  step: z.number().int().min(0),
  lr: z.number(),
  loss: numberRecord,
  trainAccuracy: z.number().optional(),
  teacherAgreement: z.number().optional(),
  evalAccuracy: z.number().optional(),
  seconds: z.number(),
  imagesPerSecond: z.number(),
});

const CheckpointMetaSchema = z.object({
  format: z.literal(CHECKPOINT_FORMAT),
  version: z.literal(CHECKPOINT_VERSION),
  model: ModelDescriptionSchema,
  config: TrainConfigSchema,
  stream: z.string(),
  position: z.object({ step: z.number().int().min(0), epoch: z.number().int().min(0), batchInEpoch: z.number().int().min(0) }),
  history: z.array(EpochMetricsSchema),
  tally: z.object({
    batches: z.number(),
    examples: z.number(),
    lossSums: numberRecord,
    correct: z.number(),
    labelled: z.number(),
    agreeing: z.number(),
    withTeacher: z.number(),
    seconds: z.number(),
    lastLr: z.number(),
  }),
  // Checkpoints written before traces existed resume with an empty one.
  trace: z
    .object({
      curve: z.array(z.object({ step: z.number(), epoch: z.number(), loss: numberRecord, trainAccuracy: z.number().optional() })),
      alpha: z.array(z.object({ epoch: z.number(), counts: z.array(z.number()) })),
      window: z.object({ batches: z.number(), lossSums: numberRecord, correct: z.number(), labelled: z.number() }),
      alphaCounts: z.array(z.number()).nullable(),
    })
    .default(emptyTrace),
  early: z.object({ bestEpoch: z.number().int().min(0), bestScore: z.number(), stopped: z.boolean() }).optional(),
});

export interface CheckpointContents {
  readonly config: TrainConfig;
  readonly stream: string;
  readonly position: TrainingPosition;
  readonly history: readonly EpochMetrics[];
  readonly tally: EpochTally;
  readonly trace: TrainingTrace;
  readonly early?: EarlyStoppingMeta;
}

/** `extra`: tensors saved beside the model and optimizer (early stopping's best weights). */
export function encodeCheckpoint(model: Model, optimizer: Optimizer, contents: CheckpointContents, extra: readonly TensorRecord[] = []): Uint8Array {
  const meta: CheckpointMeta = { format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, model: describeModel(model), ...contents };
  const slots: TensorRecord[] = optimizer.slots.map(({ name, variable }) => ({
    name: OPTIMIZER_PREFIX + name,
    shape: variable.shape,
    values: variable.dataSync() as Float32Array,
  }));
  return encodeTensorFile(meta, [...modelTensors(model), ...slots, ...extra]);
}

export interface DecodedCheckpoint {
  readonly meta: CheckpointMeta;
  readonly tensors: ReadonlyMap<string, TensorRecord>;
}

export function decodeCheckpoint(bytes: Uint8Array, where = 'checkpoint'): DecodedCheckpoint {
  const file = decodeTensorFile(bytes, where);
  const parsed = CheckpointMetaSchema.safeParse(file.meta);
  if (!parsed.success) {
    throw new BadInputError(where, `not a w2s training checkpoint: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return { meta: parsed.data as CheckpointMeta, tensors: file.tensors };
}

/** Loads weights, batch-norm statistics and optimizer slots into a freshly built model and optimizer. */
export function restoreCheckpoint(checkpoint: DecodedCheckpoint, model: Model, optimizer: Optimizer, where = 'checkpoint'): void {
  assignModelTensors(model, checkpoint.tensors, where);
  for (const { name, variable } of optimizer.slots) {
    const record = checkpoint.tensors.get(OPTIMIZER_PREFIX + name);
    if (!record) throw new BadInputError(where, `has no optimizer state ${name} (was it written by a different optimizer?)`);
    if (record.values.length !== variable.size) throw new BadInputError(where, `optimizer state ${name} holds ${record.values.length} values, expected ${variable.size}`);
    const values = tensorFromRecord(record);
    variable.assign(values);
    values.dispose();
  }
}
