/**
 * Imported backbones and the students built on them as single w2s objects
 * (the tensor-file layout of ml/nn/tensor-file.ts), so that stages pass
 * them around by one reference like any zoo model:
 *
 *   - a saved backbone: the cut model's Layers topology, where it came from
 *     (URI, content hash), the cut and the input settings in the header; its
 *     weights as `backbone/<layer>/<weight>` tensors;
 *   - a trained student: the usual `w2s-model` header and `model/<param>`
 *     tensors, plus the saved backbone's description, the mode and the
 *     dataset normalisation it was trained under, so labeling and
 *     evaluation rebuild it from its own bytes (`loadTrainedModel`).
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { BadInputError } from '../../core/errors.js';
import type { Normalization } from '../data/array-source.js';
import type { Model, ModelSpec } from '../models/model.js';
import { buildModel } from '../models/registry.js';
import { assignModelTensors, describeModel, loadModel, MODEL_FORMAT, modelTensors, readModelDescription, tensorFromRecord } from '../models/serialize.js';
import { decodeTensorFile, encodeTensorFile, type TensorRecord } from '../nn/tensor-file.js';
import { BACKBONE_MODES, BackboneCutSchema, BackboneInputSchema, type BackboneInput, type BackboneMode } from './config.js';
import { assignProbeHead } from './features.js';
import { frozenStudentMeta, loadFrozenStudent } from './frozen-saved.js';
import { backboneFeatures, backboneOfTrunk, backboneWeightName, buildImportedModel, type ImportedBackbone } from './imported.js';

export const SAVED_BACKBONE_FORMAT = 'w2s-layers-backbone';

const SavedBackboneSchema = z.object({
  /** model.json the backbone was imported from, and the content hash of its files. */
  source: z.object({ uri: z.string(), sha256: z.string() }),
  layer: z.string(),
  pooling: BackboneCutSchema.shape.pooling,
  input: BackboneInputSchema,
  /** Keras-format JSON of the model cut at `layer`, as `model.toJSON` gives it. */
  topology: z.record(z.string(), z.unknown()),
});
/** What a saved backbone's header says about it. */
export type SavedBackbone = z.infer<typeof SavedBackboneSchema>;

const SavedBackboneMetaSchema = z.object({ format: z.literal(SAVED_BACKBONE_FORMAT), version: z.literal(1), backbone: SavedBackboneSchema });

const ImportedStudentSchema = z.object({
  backbone: SavedBackboneSchema,
  mode: z.enum(BACKBONE_MODES),
  /** How the data the student reads is normalised: its input conversion undoes it. */
  data: z.object({ mean: z.array(z.number()), std: z.array(z.number()) }),
});
const ImportedStudentMetaSchema = z.object({ imported: ImportedStudentSchema.optional() }).loose();

/** A backbone cut and ready to save: the trunk's weights and the header that rebuilds it. */
export function saveBackbone(backbone: ImportedBackbone, input: Partial<BackboneInput>): Uint8Array {
  const description: SavedBackbone = {
    source: { uri: backbone.uri, sha256: backbone.sha256 },
    layer: backbone.layer,
    pooling: backbone.pooling,
    input: BackboneInputSchema.parse(input),
    topology: backbone.trunk.toJSON(null, false) as Record<string, unknown>,
  };
  const tensors: TensorRecord[] = backbone.trunk.weights.map((weight) => ({
    name: backboneWeightName(weight.originalName),
    shape: weight.shape as number[],
    values: weight.read().dataSync() as Float32Array,
  }));
  return encodeTensorFile({ format: SAVED_BACKBONE_FORMAT, version: 1, backbone: description }, tensors);
}

/** A saved backbone's description, without building it. */
export function readSavedBackbone(bytes: Uint8Array, where: string): SavedBackbone {
  const parsed = SavedBackboneMetaSchema.safeParse(decodeTensorFile(bytes, where).meta);
  if (!parsed.success) throw new BadInputError(where, `is not a saved imported backbone (${SAVED_BACKBONE_FORMAT}): ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data.backbone;
}

/** Rebuilds a saved backbone with its weights; the caller disposes it. */
export async function openSavedBackbone(bytes: Uint8Array, where: string): Promise<{ backbone: ImportedBackbone; saved: SavedBackbone }> {
  const saved = readSavedBackbone(bytes, where);
  const backbone = await rebuildBackbone(saved, where);
  try {
    const { tensors } = decodeTensorFile(bytes, where);
    for (const weight of backbone.trunk.weights) {
      const name = backboneWeightName(weight.originalName);
      const record = tensors.get(name);
      if (!record) throw new BadInputError(where, `has no weights for ${name}`);
      if (record.shape.join('x') !== weight.shape.join('x')) throw new BadInputError(where, `${name} has shape [${record.shape.join(', ')}], the layer expects [${weight.shape.join(', ')}]`);
      const values = tensorFromRecord(record);
      weight.write(values);
      values.dispose();
    }
    return { backbone, saved };
  } catch (error) {
    backbone.dispose();
    throw error;
  }
}

/** The trunk from its topology, with freshly initialised weights for the caller to overwrite. */
async function rebuildBackbone(saved: SavedBackbone, where: string): Promise<ImportedBackbone> {
  let trunk: tf.LayersModel;
  try {
    trunk = await tf.models.modelFromJSON({ modelTopology: saved.topology } as Parameters<typeof tf.models.modelFromJSON>[0]);
  } catch (error) {
    throw new BadInputError(where, `its Layers topology cannot be rebuilt (${(error as Error).message})`, { cause: error });
  }
  try {
    return backboneOfTrunk(trunk, { uri: saved.source.uri, sha256: saved.source.sha256, layer: saved.layer, pooling: saved.pooling }, () => trunk.dispose());
  } catch (error) {
    trunk.dispose();
    throw error;
  }
}

/** What building a student on a saved backbone needs besides the backbone. */
export interface ImportedStudentOptions {
  readonly mode: BackboneMode;
  readonly dataNormalization: Normalization;
  readonly spec: ModelSpec;
}

/**
 * A student on an opened saved backbone: the model `buildImportedModel`
 * gives, whose `save` writes bytes `loadTrainedModel` reads back. Disposing
 * the student disposes the backbone too.
 */
export interface ImportedStudent {
  readonly model: Model;
  save(trained?: Model): Uint8Array;
  dispose(): void;
}

export function importedStudent(backbone: ImportedBackbone, saved: SavedBackbone, options: ImportedStudentOptions): ImportedStudent {
  const { mode, dataNormalization, spec } = options;
  const model = buildImportedModel({ backbone, mode, dataNormalization, dataShape: spec.inputShape, numClasses: spec.numClasses, seed: spec.seed, input: saved.input });
  const imported = { backbone: saved, mode, data: { mean: [...dataNormalization.mean], std: [...dataNormalization.std] } };
  return {
    model,
    save: (trained = model) => encodeTensorFile({ format: MODEL_FORMAT, version: 1, model: describeModel(trained), imported }, modelTensors(trained)),
    dispose() {
      model.dispose();
      backbone.dispose();
    },
  };
}

/**
 * Rebuilds a trained model from its bytes (`serializeModel` output, a
 * training checkpoint, or a student on an imported Layers or frozen
 * backbone): what labeling,
 * evaluation and promotion load.
 */
export async function loadTrainedModel(bytes: Uint8Array, where = 'model weights'): Promise<Model> {
  const file = decodeTensorFile(bytes, where);
  const parsed = ImportedStudentMetaSchema.safeParse(file.meta);
  if (!parsed.success) throw new BadInputError(where, `header describes an imported model badly: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const imported = parsed.data.imported;
  const frozen = frozenStudentMeta(file.meta, where);
  if (frozen) {
    const { numClasses, seed } = readModelDescription(file.meta, where);
    return loadFrozenStudent(file, frozen, numClasses, seed, where);
  }
  if (!imported) return loadModel(bytes, where);
  const description = readModelDescription(file.meta, where);
  const backbone = await rebuildBackbone(imported.backbone, where);
  let student: ImportedStudent | undefined;
  try {
    student = importedStudent(backbone, imported.backbone, { mode: imported.mode, dataNormalization: imported.data, spec: { inputShape: description.inputShape, numClasses: description.numClasses, seed: description.seed } });
    // Every variable, the backbone's included, comes from the file: the rebuilt trunk's initial weights are all overwritten.
    assignModelTensors(student.model, file.tensors, where);
  } catch (error) {
    if (student) student.dispose();
    else backbone.dispose();
    throw error;
  }
  const { model } = student;
  const owner = student;
  return { name: model.name, spec: model.spec, params: model.params, apply: (x, options) => model.apply(x, options), dispose: () => owner.dispose() };
}

/** The frozen saved backbone as a feature extractor for dataset-normalised images of `dataShape`. */
export async function savedBackboneFeatures(bytes: Uint8Array, where: string, dataNormalization: Normalization, dataShape: ModelSpec['inputShape']): Promise<{ extract: (x: tf.Tensor4D) => tf.Tensor2D; featureDim: number; dispose(): void }> {
  const { backbone, saved } = await openSavedBackbone(bytes, where);
  try {
    return { extract: backboneFeatures(backbone, saved.input, dataNormalization, dataShape), featureDim: backbone.featureDim, dispose: () => backbone.dispose() };
  } catch (error) {
    backbone.dispose();
    throw error;
  }
}

/**
 * A probe-mode student on a saved backbone, split for training on stored
 * features: `headFor` gives the zoo's `linear` model over `[1, 1, D]`
 * starting from the student's fresh head; `assemble` moves a trained head
 * back onto the backbone. The shape of ml/pretrain's ProbeStudent.
 */
export class ImportedProbe {
  private constructor(private readonly student: ImportedStudent) {}

  static async open(bytes: Uint8Array, where: string, dataNormalization: Normalization, spec: ModelSpec): Promise<ImportedProbe> {
    const { backbone, saved } = await openSavedBackbone(bytes, where);
    try {
      return new ImportedProbe(importedStudent(backbone, saved, { mode: 'probe', dataNormalization, spec }));
    } catch (error) {
      backbone.dispose();
      throw error;
    }
  }

  headFor(spec: ModelSpec): Model {
    const weight = this.student.model.params.get('head/weight')!.variable;
    const [d, k] = weight.shape;
    if (spec.inputShape.join('x') !== `1x1x${d}` || spec.numClasses !== k) {
      throw new BadInputError('probe head', `features of shape [${spec.inputShape.join(', ')}] with ${spec.numClasses} classes do not fit a head over ${d} features and ${k} classes`);
    }
    const head = buildModel('linear', spec);
    try {
      // The head starts where the student's own would: the same initial weights, whether it trains on features or images.
      assignProbeHead(head, this.student.model, [['fc/weight', 'head/weight'], ['fc/bias', 'head/bias']]);
      return head;
    } catch (error) {
      head.dispose();
      throw error;
    }
  }

  assemble(head: Model): Model {
    assignProbeHead(this.student.model, head);
    return this.student.model;
  }

  /** The assembled student's bytes (`assemble`'s result), loadable by `loadTrainedModel`. */
  save(assembled?: Model): Uint8Array {
    return this.student.save(assembled);
  }

  dispose(): void {
    this.student.dispose();
  }
}
