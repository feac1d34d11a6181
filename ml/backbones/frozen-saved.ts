/**
 * Frozen backbones and the probe students on them as single w2s objects
 * (the tensor-file layout of ml/nn/tensor-file.ts), as saved.ts does for
 * Layers backbones:
 *
 *   - a saved frozen backbone: the model's files as they were read (the
 *     ONNX file; model.json and its shards) with the description that
 *     reopens them (source, output, layout, input shape and settings);
 *   - a trained probe student: the usual `w2s-model` header and its head's
 *     `model/<param>` tensors, plus the backbone's description and files and
 *     the dataset normalisation it was trained under, so labeling and
 *     evaluation rebuild it from its own bytes (`loadTrainedModel`).
 *
 * A student carries its backbone's files: like every trained model, it
 * loads from its own bytes, whatever else the store still holds.
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { BadInputError } from '../../core/errors.js';
import { BACKBONE_LAYOUTS, BackboneInputSchema, FROZEN_FORMATS } from '../../schemas/pretrain.js';
import type { Normalization } from '../data/array-source.js';
import type { ImageShape } from '../data/batches.js';
import type { Model, ModelSpec } from '../models/model.js';
import { buildModel } from '../models/registry.js';
import { assignModelTensors, describeModel, MODEL_FORMAT, modelTensors } from '../models/serialize.js';
import { bytesRecord, decodeTensorFile, encodeTensorFile, fileBytes, type TensorFile } from '../nn/tensor-file.js';
import { frozenFeatures, openFrozenBackbone, type FrozenBackbone, type FrozenDescription, type ModelFile } from './frozen.js';

export const SAVED_FROZEN_FORMAT = 'w2s-frozen-backbone';
const FILE_PREFIX = 'file/';

const Shape3 = z.tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive()]);

const FrozenDescriptionSchema = z.object({
  format: z.enum(FROZEN_FORMATS),
  source: z.object({ uri: z.string(), sha256: z.string() }),
  output: z.string(),
  inputName: z.string(),
  layout: z.enum(BACKBONE_LAYOUTS),
  inputShape: Shape3,
  featureDim: z.number().int().positive(),
  input: BackboneInputSchema,
});

/** The model's files in the object: their paths and lengths (the bytes are `file/<path>` records). */
const FileListSchema = z.array(z.object({ path: z.string().min(1), bytes: z.number().int().min(0) })).min(1);

const SavedFrozenMetaSchema = z.object({ format: z.literal(SAVED_FROZEN_FORMAT), version: z.literal(1), backbone: FrozenDescriptionSchema, files: FileListSchema });

const FrozenStudentSchema = z.object({
  backbone: FrozenDescriptionSchema,
  files: FileListSchema,
  /** How the data the student reads is normalised: its input conversion undoes it. */
  data: z.object({ mean: z.array(z.number()), std: z.array(z.number()) }),
  /** `[h, w, c]` of the dataset's images, the student's input. */
  inputShape: Shape3,
});
type FrozenStudentMeta = z.infer<typeof FrozenStudentSchema>;
const FrozenStudentMetaSchema = z.object({ frozen: FrozenStudentSchema.optional() }).loose();

function fileRecords(files: readonly ModelFile[]): { list: Array<{ path: string; bytes: number }>; records: ReturnType<typeof bytesRecord>[] } {
  return { list: files.map((f) => ({ path: f.path, bytes: f.bytes.length })), records: files.map((f) => bytesRecord(FILE_PREFIX + f.path, f.bytes)) };
}

function filesOf(file: TensorFile<unknown>, list: ReadonlyArray<{ path: string; bytes: number }>, where: string): ModelFile[] {
  return list.map(({ path, bytes }) => {
    const record = file.tensors.get(FILE_PREFIX + path);
    if (!record) throw new BadInputError(where, `has no bytes for the model file ${path}`);
    return { path, bytes: fileBytes(record, bytes, where) };
  });
}

/** An opened frozen backbone and the files it was opened from, ready to save. */
export function saveFrozenBackbone(backbone: FrozenBackbone, files: readonly ModelFile[]): Uint8Array {
  const { list, records } = fileRecords(files);
  return encodeTensorFile({ format: SAVED_FROZEN_FORMAT, version: 1, backbone: backbone.description, files: list }, records);
}

/** Whether `bytes` (a tensor file) is a saved frozen backbone rather than a saved Layers one. */
export function isSavedFrozenBackbone(bytes: Uint8Array, where: string): boolean {
  const meta = decodeTensorFile(bytes, where).meta as { format?: unknown } | null;
  return typeof meta === 'object' && meta !== null && meta.format === SAVED_FROZEN_FORMAT;
}

/** A saved frozen backbone's description and files, without opening the model. */
export function readSavedFrozen(bytes: Uint8Array, where: string): { description: FrozenDescription; files: ModelFile[] } {
  const file = decodeTensorFile(bytes, where);
  const parsed = SavedFrozenMetaSchema.safeParse(file.meta);
  if (!parsed.success) throw new BadInputError(where, `is not a saved frozen backbone (${SAVED_FROZEN_FORMAT}): ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return { description: parsed.data.backbone, files: filesOf(file, parsed.data.files, where) };
}

/** Reopens a frozen model from its description and files; it must still be the model described. */
async function reopen(description: FrozenDescription, files: readonly ModelFile[], where: string): Promise<FrozenBackbone> {
  const { format, source, output, input } = description;
  const backbone = await openFrozenBackbone({ format, uri: source.uri, sha256: source.sha256, files, output, input });
  const got = backbone.description;
  if (got.featureDim !== description.featureDim || got.inputShape.join('x') !== description.inputShape.join('x') || got.layout !== description.layout) {
    backbone.dispose();
    throw new BadInputError(where, `its model now opens with ${got.featureDim} features of ${got.inputShape.join('x')} ${got.layout} images, not the ${description.featureDim} of ${description.inputShape.join('x')} ${description.layout} it was saved with`);
  }
  return backbone;
}

/** The saved frozen backbone as a feature extractor for dataset-normalised images of `dataShape`. */
export async function savedFrozenFeatures(bytes: Uint8Array, where: string, data: Normalization, dataShape: ImageShape): Promise<{ extract: (x: tf.Tensor4D) => Promise<tf.Tensor2D>; featureDim: number; runsOn: string; dispose(): void }> {
  const { description, files } = readSavedFrozen(bytes, where);
  const backbone = await reopen(description, files, where);
  return { extract: frozenFeatures(backbone, data, dataShape), featureDim: description.featureDim, runsOn: backbone.runsOn, dispose: () => backbone.dispose() };
}

/** Model name of a probe student on a frozen backbone, as checkpoints and lineage record it. */
export function frozenModelName(description: Pick<FrozenDescription, 'format' | 'source' | 'output'>): string {
  return `${description.format}:${description.source.sha256.slice(0, 16)}@${description.output}/probe`;
}

/**
 * A head (the zoo's `linear` model over `[1, 1, D]` features) on a frozen
 * backbone, as one model over images. Its parameters are the head's; it
 * predicts asynchronously (`predict`), and `apply` throws: nothing trains
 * through a frozen model. Disposing it disposes the head and the backbone.
 */
function frozenStudent(backbone: FrozenBackbone, head: Model, data: Normalization, dataShape: ImageShape, ownsParts: boolean): Model {
  const { description } = backbone;
  const name = frozenModelName(description);
  const features = frozenFeatures(backbone, data, dataShape);
  const d = description.featureDim;
  return {
    name,
    spec: { inputShape: dataShape, numClasses: head.spec.numClasses, seed: head.spec.seed },
    params: head.params,
    apply() {
      throw new Error(`${name} runs its backbone outside TensorFlow.js: it predicts through predict (predictLogits), and only its head trains, on stored features`);
    },
    async predict(x) {
      const f = await features(x);
      try {
        return tf.tidy(() => head.apply(tf.reshape(f, [f.shape[0], 1, 1, d]) as tf.Tensor4D, { training: false }));
      } finally {
        f.dispose();
      }
    },
    dispose() {
      if (!ownsParts) return;
      head.dispose();
      backbone.dispose();
    },
  };
}

/**
 * A probe student on a saved frozen backbone, split for training on stored
 * features: `headFor` gives the zoo's `linear` model over `[1, 1, D]`;
 * `assemble` puts a trained head on the backbone; `save` writes the student
 * `loadTrainedModel` reads back. The shape of ImportedProbe (saved.ts).
 */
export class FrozenProbe {
  private constructor(
    private readonly backbone: FrozenBackbone,
    private readonly files: readonly ModelFile[],
    private readonly data: Normalization,
    private readonly dataShape: ImageShape,
  ) {}

  static async open(bytes: Uint8Array, where: string, data: Normalization, spec: ModelSpec): Promise<FrozenProbe> {
    const { description, files } = readSavedFrozen(bytes, where);
    const backbone = await reopen(description, files, where);
    return new FrozenProbe(backbone, files, data, spec.inputShape);
  }

  headFor(spec: ModelSpec): Model {
    const d = this.backbone.description.featureDim;
    if (spec.inputShape.join('x') !== `1x1x${d}`) throw new BadInputError('probe head', `features of shape [${spec.inputShape.join(', ')}] do not fit a head over ${d} features`);
    return buildModel('linear', spec);
  }

  /** The student over images; it shares `head`'s parameters, which stay the caller's. */
  assemble(head: Model): Model {
    return frozenStudent(this.backbone, head, this.data, this.dataShape, false);
  }

  save(assembled: Model): Uint8Array {
    const { list, records } = fileRecords(this.files);
    const description = this.backbone.description;
    const frozen: FrozenStudentMeta = { backbone: { ...description, inputShape: [...description.inputShape] }, files: list, data: { mean: [...this.data.mean], std: [...this.data.std] }, inputShape: [...this.dataShape] };
    return encodeTensorFile({ format: MODEL_FORMAT, version: 1, model: describeModel(assembled), frozen }, [...modelTensors(assembled), ...records]);
  }

  dispose(): void {
    this.backbone.dispose();
  }
}

/** The frozen-backbone part of a trained model's header, if it has one. */
export function frozenStudentMeta(meta: unknown, where: string): FrozenStudentMeta | undefined {
  const parsed = FrozenStudentMetaSchema.safeParse(meta);
  if (!parsed.success) throw new BadInputError(where, `header describes a probe student on a frozen backbone badly: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data.frozen;
}

/** Rebuilds a trained probe student on a frozen backbone from its own bytes. */
export async function loadFrozenStudent(file: TensorFile<unknown>, meta: FrozenStudentMeta, numClasses: number, seed: number, where: string): Promise<Model> {
  const backbone = await reopen(meta.backbone, filesOf(file, meta.files, where), where);
  let head: Model | undefined;
  try {
    head = buildModel('linear', { inputShape: [1, 1, meta.backbone.featureDim], numClasses, seed });
    assignModelTensors(head, file.tensors, where);
    return frozenStudent(backbone, head, meta.data, meta.inputShape, true);
  } catch (error) {
    head?.dispose();
    backbone.dispose();
    throw error;
  }
}
