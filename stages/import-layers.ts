/**
 * The `import-layers` stage: brings a model from any store into the run's
 * storage as one saved backbone, its format recognised from the file
 * itself:
 *   - a TensorFlow.js Layers model (model.json and its weight shards, as
 *     tensorflowjs_converter or `model.save` write them): cut at the
 *     configured layer (ml/backbones/saved.ts), for `probe` and `finetune`;
 *   - an ONNX file or a TensorFlow.js graph model (model.json with
 *     `"format": "graph-model"`): frozen, run as shipped, its named output
 *     the feature vector (ml/backbones/frozen-saved.ts), for `probe` only.
 *
 * Checked before anything is written: the files can be read and load, the
 * layer or output exists and gives one vector per image, the run's images
 * can be brought to the model's input, no student asks to fine-tune a
 * frozen model. Each failure is a non-retryable error naming the config
 * field. Cached by the model files' content hash, the cut and the input
 * settings (and the code version), not by where the files were read from;
 * lineage records the URI and the hash in the stage's config, as
 * `import` does for a teacher checkpoint: the source may lie outside the
 * run's root, which is all `w2s verify` reads.
 */
import * as tf from '@tensorflow/tfjs';
import { BadInputError, isBadInputError } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import { openFrozenBackbone, type FrozenBackbone, type ModelFile } from '../ml/backbones/frozen.js';
import { saveFrozenBackbone } from '../ml/backbones/frozen-saved.js';
import { checkBackboneInput, cutLayersModel, type ImportedBackbone } from '../ml/backbones/imported.js';
import { filesLoadHandler, MODEL_JSON, readModelJsonFiles, type LayersModelFiles } from '../ml/backbones/layers-io.js';
import { saveBackbone } from '../ml/backbones/saved.js';
import { ImportedBackboneSchema, type FrozenFormat, type ImportedBackboneConfig } from '../schemas/pretrain.js';
import type { ImportLayersInput, ImportLayersOutput } from '../schemas/stages.js';
import { modelKey, stageKey } from '../storage/layout.js';
import { openStore } from '../storage/open.js';
import type { ObjectStore } from '../storage/object-store.js';
import type { StageRuntime } from './runtime.js';
import { lineageObject, runStage } from './stage.js';
import { putObject } from './stores.js';

export const IMPORTED_BACKBONE_ROLE = 'backbone';

export async function importLayersModel(input: ImportLayersInput, runtime: StageRuntime): Promise<ImportLayersOutput> {
  const { field } = input;
  const parsed = ImportedBackboneSchema.safeParse(input.imported);
  if (!parsed.success) throw runtime.failure(new BadInputError(field, parsed.error.issues.map((i) => `${i.path.join('.') || '(entry)'}: ${i.message}`).join('; ')));
  const imported = parsed.data;
  // Refused before the stage runs (its cache key needs the files' hash), so the refusal is made non-retryable here.
  const located = await locateModel(imported.uri, `${field}.uri`).catch((error: unknown) => {
    throw runtime.failure(error);
  });
  if (located.format !== 'layers-model') return importFrozen(input, imported, located, runtime);
  const backbone = await loadAndCut(imported, located.files, input.dataShape, field).catch((error: unknown) => {
    throw runtime.failure(error);
  });
  try {
    const source = { uri: backbone.uri, sha256: backbone.sha256 };
    const cut = { layer: backbone.layer, pooling: imported.pooling, input: imported.input };
    return await saveImported(input, runtime, source, cut, () => ({ bytes: saveBackbone(backbone, imported.input), layer: backbone.layer, featureDim: backbone.featureDim }));
  } finally {
    backbone.dispose();
  }
}

/**
 * The cached stage that saves an imported backbone into the run: keyed by the
 * model files' hash and the settings the saved bytes depend on, never by where
 * the files were read from (that is this run's, in its lineage config).
 */
async function saveImported(
  input: ImportLayersInput,
  runtime: StageRuntime,
  source: ImportLayersOutput['source'],
  settings: Readonly<Record<string, unknown>>,
  save: () => { readonly bytes: Uint8Array; readonly layer: string; readonly featureDim: number; readonly format?: FrozenFormat },
): Promise<ImportLayersOutput> {
  return runStage<ImportLayersOutput>({
    context: input,
    kind: 'import-layers',
    config: { source, ...settings },
    keyConfig: { sha256: source.sha256, ...settings },
    inputs: [],
    cacheable: true,
    outputsOf: (out) => [lineageObject(out, IMPORTED_BACKBONE_ROLE)],
    metricsOf: (out) => ({ featureDim: out.featureDim }),
    runSpecific: { source },
    run: async (store) => {
      const { bytes, ...described } = save();
      const saved = await putObject(store, modelKey(stageKey(input.runId, input.stage), sha256Hex(bytes)), bytes, 'application/octet-stream');
      return { ...saved, source, ...described, cached: false };
    },
  }, runtime);
}

/** An ONNX file or a graph model: opened and checked, then saved with its files as a frozen backbone. */
async function importFrozen(input: ImportLayersInput, imported: ImportedBackboneConfig, located: FrozenLocated, runtime: StageRuntime): Promise<ImportLayersOutput> {
  const { field } = input;
  const backbone = await openChecked(imported, located, input, field).catch((error: unknown) => {
    throw runtime.failure(error);
  });
  try {
    const { description } = backbone;
    const source = description.source;
    // The input as resolved (the model's shape filled in): what the features depend on.
    const settings = { format: located.format, output: description.output, layout: description.layout, inputShape: description.inputShape, input: imported.input };
    return await saveImported(input, runtime, source, settings, () => ({ bytes: saveFrozenBackbone(backbone, located.files), layer: description.output, format: located.format, featureDim: description.featureDim }));
  } finally {
    backbone.dispose();
  }
}

const FORMAT_NAMES: Record<FrozenFormat, string> = { onnx: 'an ONNX model', 'graph-model': 'a TensorFlow.js graph model' };

async function openChecked(imported: ImportedBackboneConfig, located: FrozenLocated, input: ImportLayersInput, field: string): Promise<FrozenBackbone> {
  const what = `${located.uri} is ${FORMAT_NAMES[located.format]}`;
  if (input.modes?.includes('finetune')) {
    const modeField = field.replace(/\.imported$/, '.mode');
    throw new BadInputError(modeField, `finetune asks to train ${located.uri}, but it is ${FORMAT_NAMES[located.format]}: it runs frozen, as shipped, so it serves probe students only (set mode: probe); fine-tuning needs a TensorFlow.js Layers model`);
  }
  if (imported.layer !== undefined) throw new BadInputError(`${field}.layer`, `${what}, which is not cut at a layer: name the output that gives the features (output)`);
  const request = { format: located.format, uri: located.uri, sha256: located.sha256, files: located.files, ...(imported.output ? { output: imported.output } : {}), input: imported.input };
  try {
    return await openFrozenBackbone(request, [input.dataShape[0], input.dataShape[1], input.dataShape[2]]);
  } catch (error) {
    if (!isBadInputError(error)) throw error;
    throw new BadInputError(`${field}.${frozenRefusalField(error.message)}`, error.message, { cause: error });
  }
}

/** The config field a refusal of ml/backbones/frozen.ts is about: the output, the model itself, or the input settings. */
function frozenRefusalField(message: string): 'output' | 'uri' | 'input' {
  if (/has no output "|: output \S+ gives/.test(message)) return 'output';
  if (/is not a model|uses operator|cannot be loaded|fails on|takes \d+ inputs|has no outputs|is of type|of rank 4/.test(message)) return 'uri';
  return 'input';
}

/** Where a model was found, its format told by its file: a model.json's `format`, else an ONNX file. */
type Located = { readonly format: 'layers-model'; readonly files: LayersModelFiles } | FrozenLocated;
interface FrozenLocated {
  readonly format: FrozenFormat;
  readonly uri: string;
  readonly sha256: string;
  readonly files: readonly ModelFile[];
}

/**
 * Reads the model `uri` names: a model.json (or a folder holding one), or
 * any other file, taken for an ONNX model (opening it tells whether it is
 * one). A URI whose last part has no extension and is not a file is a
 * folder.
 */
async function locateModel(uri: string, field: string): Promise<Located> {
  const slash = uri.replace(/\/+$/, '').lastIndexOf('/');
  const name = uri.replace(/\/+$/, '').slice(slash + 1);
  if (!uri.endsWith('/') && !uri.endsWith(`/${MODEL_JSON}`) && slash > 0 && !name.endsWith('.json')) {
    const parent = openFolder(uri.slice(0, slash), uri, field);
    const bytes = await parent.get(name).catch((error: Error) => {
      if (name.includes('.')) throw new BadInputError(`${field} "${uri}"`, `cannot be read (${error.message})`, { cause: error });
      return undefined;
    });
    if (bytes) return { format: 'onnx', uri, sha256: sha256Hex(bytes), files: [{ path: name, bytes }] };
  }
  const { store, dir } = modelFolder(uri, field);
  const files = await blame(field, () => readModelJsonFiles(store, dir));
  const format = files.modelJson.format ?? 'layers-model';
  if (format === 'layers-model') return { format, files };
  if (format !== 'graph-model') throw new BadInputError(field, `${files.uri} has format "${format}"; a TensorFlow.js model.json is a "layers-model" or a "graph-model"`);
  return { format, uri: files.uri, sha256: files.sha256, files: [{ path: MODEL_JSON, bytes: files.modelJsonBytes }, ...files.shards] };
}

function openFolder(folder: string, uri: string, field: string): ObjectStore {
  try {
    return openStore(folder);
  } catch (error) {
    throw new BadInputError(`${field} "${uri}"`, `is not a storage URI of a model (${(error as Error).message})`, { cause: error });
  }
}

/** Loads, cuts and checks a Layers model against the run's images; every refusal names the field at fault. */
async function loadAndCut(imported: ImportedBackboneConfig, files: LayersModelFiles, dataShape: readonly [number, number, number], field: string): Promise<ImportedBackbone> {
  if (imported.output !== undefined) throw new BadInputError(`${field}.output`, `${files.uri} is a TensorFlow.js Layers model: it is cut at a layer (layer), not read at an output`);
  if (imported.input.layout === 'NCHW') throw new BadInputError(`${field}.input.layout`, `${files.uri} is a TensorFlow.js Layers model, which takes NHWC images`);
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(filesLoadHandler(files), { strict: true });
  } catch (error) {
    throw new BadInputError(`${field}.uri`, `${files.uri}: cannot be loaded as a Layers model (${(error as Error).message})`, { cause: error });
  }
  let backbone: ImportedBackbone;
  try {
    const shape = model.inputs.length === 1 ? model.inputs[0]!.shape : undefined;
    if (!shape || shape.length !== 4 || shape.slice(1).some((d) => d === null)) {
      throw new BadInputError(`${field}.uri`, `${files.uri} takes inputs ${JSON.stringify(model.inputs.map((i) => i.shape))}; a backbone takes one image batch [batch, height, width, channels] of fixed size`);
    }
    if (imported.input.channels !== undefined && imported.input.channels !== shape[3]) throw new BadInputError(`${field}.input.channels`, `${files.uri} takes ${shape[3]} channels, not ${imported.input.channels}`);
    backbone = await blame(`${field}.layer`, async () => cutLayersModel(model, { uri: files.uri, sha256: files.sha256 }, { ...(imported.layer ? { layer: imported.layer } : {}), pooling: imported.pooling }));
  } catch (error) {
    model.dispose();
    throw error;
  }
  try {
    await blame(`${field}.input`, async () => checkBackboneInput(backbone, imported.input, [dataShape[0], dataShape[1], dataShape[2]]));
    return backbone;
  } catch (error) {
    backbone.dispose();
    throw error;
  }
}

/** The store and folder of a model: `uri` is its model.json or the folder holding it. */
function modelFolder(uri: string, field: string): { store: ObjectStore; dir: string } {
  const folder = uri.endsWith(`/${MODEL_JSON}`) ? uri.slice(0, -MODEL_JSON.length - 1) : uri.replace(/\/+$/, '');
  try {
    return { store: openStore(folder), dir: '' };
  } catch (error) {
    throw new BadInputError(`${field} "${uri}"`, `is not a storage URI of a model.json or its folder (${(error as Error).message})`, { cause: error });
  }
}

/** Runs `fn`, restating a bad-input error as one about `field`. */
async function blame<T>(field: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (!isBadInputError(error) || error.where.startsWith(field)) throw error;
    throw new BadInputError(field, error.message, { cause: error });
  }
}
