/**
 * The `import-layers` stage: brings a TensorFlow.js Layers model from any
 * store (model.json and its weight shards, as tensorflowjs_converter or
 * `model.save` write them) into the run's storage as one saved backbone
 * (ml/backbones/saved.ts): cut at the configured layer, with the input
 * settings that bring the run's images to it.
 *
 * Checked before anything is written: model.json and its shards can be
 * read and load, the layer exists, the run's images can be brought to the
 * model's input. Each failure is a non-retryable error naming the config
 * field. Cached by the model files' content hash, the cut and the input
 * settings (and the code version), not by where the files were read from;
 * lineage records the URI and the hash in the stage's config, as
 * `import` does for a teacher checkpoint: the source may lie outside the
 * run's root, which is all `w2s verify` reads.
 */
import { BadInputError, isBadInputError } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import { checkBackboneInput, cutLayersModel, type ImportedBackbone } from '../ml/backbones/imported.js';
import { loadLayersModelFrom, MODEL_JSON } from '../ml/backbones/layers-io.js';
import { saveBackbone } from '../ml/backbones/saved.js';
import { ImportedBackboneSchema, type ImportedBackboneConfig } from '../schemas/pretrain.js';
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
  const backbone = await loadAndCut(imported, input.dataShape, field).catch((error: unknown) => {
    throw runtime.failure(error);
  });
  try {
    const source = { uri: backbone.uri, sha256: backbone.sha256 };
    const cut = { layer: backbone.layer, pooling: imported.pooling, input: imported.input };
    return await runStage<ImportLayersOutput>({
      context: input,
      kind: 'import-layers',
      config: { source, ...cut },
      keyConfig: { sha256: source.sha256, ...cut },
      inputs: [],
      cacheable: true,
      outputsOf: (out) => [lineageObject(out, IMPORTED_BACKBONE_ROLE)],
      metricsOf: (out) => ({ featureDim: out.featureDim }),
      // Where the files were read from is this run's; the saved backbone is a function of their content.
      runSpecific: { source },
      run: async (store) => {
        const bytes = saveBackbone(backbone, imported.input);
        const saved = await putObject(store, modelKey(stageKey(input.runId, input.stage), sha256Hex(bytes)), bytes, 'application/octet-stream');
        return { ...saved, source, layer: backbone.layer, featureDim: backbone.featureDim, cached: false };
      },
    }, runtime);
  } finally {
    backbone.dispose();
  }
}

/** Reads, loads and cuts the model, and checks the run's images fit it; every refusal names the field at fault. */
async function loadAndCut(imported: ImportedBackboneConfig, dataShape: readonly [number, number, number], field: string): Promise<ImportedBackbone> {
  const { store, dir } = modelFolder(imported.uri, `${field}.uri`);
  const { model, files } = await blame(`${field}.uri`, () => loadLayersModelFrom(store, dir));
  let backbone: ImportedBackbone;
  try {
    const shape = model.inputs.length === 1 ? model.inputs[0]!.shape : undefined;
    if (!shape || shape.length !== 4 || shape.slice(1).some((d) => d === null)) {
      throw new BadInputError(`${field}.uri`, `${files.uri} takes inputs ${JSON.stringify(model.inputs.map((i) => i.shape))}; a backbone takes one image batch [batch, height, width, channels] of fixed size`);
    }
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
