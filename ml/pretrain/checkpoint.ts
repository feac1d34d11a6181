/**
 * Checkpoints of contrastive pretraining, in the tensor-file layout of
 * ml/nn/tensor-file.ts: `model/<param>` (the encoder, readable by `loadModel`),
 * `projection/<param>`, `optimizer/<param>/<slot>`, and in the header the
 * settings, the position and the losses so far. Views and order are keyed
 * by the position, so nothing else is needed to continue bit-identically.
 */
import { z } from 'zod';
import { BadInputError } from '../../core/errors.js';
import { canonicalJson } from '../../core/hash.js';
import type { Model } from '../models/model.js';
import { assignModelTensors, describeModel, modelTensors, ModelDescriptionSchema, tensorFromRecord } from '../models/serialize.js';
import { decodeTensorFile, encodeTensorFile, type TensorRecord } from '../nn/tensor-file.js';
import type { NamedVariable } from '../nn/params.js';

export const CONTRASTIVE_CHECKPOINT_FORMAT = 'w2s-contrastive-checkpoint';

const PositionSchema = z.object({ step: z.number().int().min(0), epoch: z.number().int().min(0), batchInEpoch: z.number().int().min(0) });
export type ContrastivePosition = z.infer<typeof PositionSchema>;

const MetaSchema = z.object({
  format: z.literal(CONTRASTIVE_CHECKPOINT_FORMAT),
  version: z.literal(1),
  model: ModelDescriptionSchema,
  /** Everything that decides the result: a checkpoint only resumes the same pretraining. */
  settings: z.unknown(),
  position: PositionSchema,
  epochLosses: z.array(z.number()),
  /** Sum of the losses of the unfinished epoch's steps. */
  lossSum: z.number(),
});

export interface ContrastiveState {
  readonly position: ContrastivePosition;
  readonly epochLosses: readonly number[];
  readonly lossSum: number;
}

function records(prefix: string, variables: readonly NamedVariable[]): TensorRecord[] {
  return variables.map(({ name, variable }) => ({ name: prefix + name, shape: variable.shape, values: variable.dataSync() as Float32Array }));
}

export function encodeContrastiveCheckpoint(encoder: Model, projection: readonly NamedVariable[], slots: readonly NamedVariable[], settings: unknown, state: ContrastiveState): Uint8Array {
  const meta = { format: CONTRASTIVE_CHECKPOINT_FORMAT, version: 1, model: describeModel(encoder), settings, ...state };
  return encodeTensorFile(meta, [...modelTensors(encoder), ...records('projection/', projection), ...records('optimizer/', slots)]);
}

/** Restores a checkpoint into a freshly built encoder, projection head and optimizer; returns where to continue. */
export function restoreContrastiveCheckpoint(bytes: Uint8Array, encoder: Model, projection: readonly NamedVariable[], slots: readonly NamedVariable[], settings: unknown, where = 'resumeFrom'): ContrastiveState {
  const file = decodeTensorFile(bytes, where);
  const parsed = MetaSchema.safeParse(file.meta);
  if (!parsed.success) throw new BadInputError(where, `not a w2s contrastive pretraining checkpoint: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const meta = parsed.data;
  if (canonicalJson(meta.settings) !== canonicalJson(settings)) {
    throw new BadInputError(where, `checkpoint was written by different pretraining settings: ${canonicalJson(meta.settings)} vs ${canonicalJson(settings)}`);
  }
  assignModelTensors(encoder, file.tensors, where);
  for (const [prefix, variables] of [['projection/', projection], ['optimizer/', slots]] as const) {
    for (const { name, variable } of variables) {
      const record = file.tensors.get(prefix + name);
      if (!record || record.values.length !== variable.size) throw new BadInputError(where, `has no ${prefix}${name} of ${variable.size} values`);
      const values = tensorFromRecord(record);
      variable.assign(values);
      values.dispose();
    }
  }
  return { position: meta.position, epochLosses: meta.epochLosses, lossSum: meta.lossSum };
}
