/**
 * Model weights to bytes and back (the tensor-file layout of ml/nn/tensor-file.ts), for
 * labeling and evaluation stages that need a trained model but not its
 * optimizer. `loadModel` also reads training checkpoints, which carry the
 * same `model/<name>` tensors plus optimizer state.
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { BadInputError } from '../../core/errors.js';
import { decodeTensorFile, encodeTensorFile, type TensorRecord } from '../nn/tensor-file.js';
import type { Model } from './model.js';
import { buildModel } from './registry.js';

export const MODEL_FORMAT = 'w2s-model';
const MODEL_PREFIX = 'model/';

export const ModelDescriptionSchema = z.object({
  name: z.string().min(1),
  inputShape: z.tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive()]),
  numClasses: z.number().int().positive(),
  seed: z.number().int().min(0),
});
export type ModelDescription = z.infer<typeof ModelDescriptionSchema>;

const ModelMetaSchema = z.object({ format: z.string(), version: z.number().int(), model: ModelDescriptionSchema }).loose();

export function describeModel(model: Model): ModelDescription {
  const [h, w, c] = model.spec.inputShape;
  return { name: model.name, inputShape: [h, w, c], numClasses: model.spec.numClasses, seed: model.spec.seed };
}

/** Every variable of the model (weights and batch-norm statistics) as `model/<name>` records. */
export function modelTensors(model: Model): TensorRecord[] {
  return model.params.all().map(({ name, variable }) => ({
    name: MODEL_PREFIX + name,
    shape: variable.shape,
    values: variable.dataSync() as Float32Array,
  }));
}

/** Overwrites the model's variables with `model/<name>` records; every variable must be present with its shape. */
export function assignModelTensors(model: Model, tensors: ReadonlyMap<string, TensorRecord>, where: string): void {
  for (const { name, variable } of model.params.all()) {
    const record = tensors.get(MODEL_PREFIX + name);
    if (!record) throw new BadInputError(where, `has no weights for ${model.name} parameter ${name}`);
    if (record.shape.length !== variable.shape.length || record.shape.some((d, i) => d !== variable.shape[i])) {
      throw new BadInputError(where, `parameter ${name} has shape [${record.shape.join(', ')}], model ${model.name} expects [${variable.shape.join(', ')}]`);
    }
    const values = tensorFromRecord(record);
    variable.assign(values);
    values.dispose();
  }
}

export function serializeModel(model: Model): Uint8Array {
  return encodeTensorFile({ format: MODEL_FORMAT, version: 1, model: describeModel(model) }, modelTensors(model));
}

/** Reads the model description of saved weights or a checkpoint. */
export function readModelDescription(meta: unknown, where: string): ModelDescription {
  const parsed = ModelMetaSchema.safeParse(meta);
  if (!parsed.success) throw new BadInputError(where, `header does not describe a model: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data.model;
}

/** Rebuilds a model from `serializeModel` bytes or a training checkpoint. */
export function loadModel(bytes: Uint8Array, where = 'model weights'): Model {
  const file = decodeTensorFile(bytes, where);
  const { name, inputShape, numClasses, seed } = readModelDescription(file.meta, where);
  const model = buildModel(name, { inputShape, numClasses, seed });
  try {
    assignModelTensors(model, file.tensors, where);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}

/** A tfjs tensor holding a record's values (the caller disposes it). */
export function tensorFromRecord(record: TensorRecord): tf.Tensor {
  return tf.tensor(record.values, [...record.shape], 'float32');
}
