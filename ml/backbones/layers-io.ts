/**
 * TensorFlow.js Layers models in object storage: `model.json` plus the weight
 * shards its `weightsManifest` lists, as `tensorflowjs_converter` and
 * `model.save` write them, read and written through any store with keys
 * (a local folder or GCS) instead of tfjs's `file://` and `http://`
 * handlers, which need tfjs-node or a web server.
 *
 * The store is described by the few methods used here, so ml/ does not
 * depend on storage/: every storage ObjectStore fits.
 */
import * as tf from '@tensorflow/tfjs';
import { BadInputError } from '../../core/errors.js';
import { sha256Hex } from '../../core/hash.js';
import { formatBytes, MAX_MODEL_JSON_BYTES, MAX_MODEL_JSON_DEPTH, MAX_MODEL_LAYERS, MAX_TENSOR_ELEMENTS, MAX_WEIGHT_BYTES, nestingDepth } from '../../schemas/limits.js';

export interface BlobReader {
  /** URI of a key, for error messages and lineage. */
  uriOf(key: string): string;
  get(key: string): Promise<Uint8Array>;
  /** The object's bytes as a stream: where a reader has it, a file past its limit is never held whole. */
  stream?(key: string): Promise<AsyncIterable<unknown>>;
}

export interface BlobWriter {
  put(key: string, data: Uint8Array | string, options?: { readonly contentType?: string }): Promise<unknown>;
}

export const MODEL_JSON = 'model.json';

/** The files of a saved Layers model, read once: what the hash covers and what tfjs loads. */
export interface LayersModelFiles {
  /** URI of `model.json`. */
  readonly uri: string;
  readonly modelJson: tf.io.ModelJSON;
  readonly modelJsonBytes: Uint8Array;
  /** Weight shards in manifest order, by their path relative to `model.json`. */
  readonly shards: ReadonlyArray<{ readonly path: string; readonly bytes: Uint8Array }>;
  /**
   * sha256 over `model.json`'s bytes and every shard's, in manifest order:
   * sha256 of the lines `model.json <sha256>` and `<path> <sha256>`. Any
   * change to the topology or a weight changes it.
   */
  readonly sha256: string;
}

function joinKey(dir: string, name: string): string {
  return dir === '' ? name : `${dir.replace(/\/+$/, '')}/${name}`;
}

/** Reads `<dir>/model.json` and its weight shards: a Layers model's, as a cut-and-train backbone needs. */
export async function readLayersModelFiles(store: BlobReader, dir: string): Promise<LayersModelFiles> {
  const files = await readModelJsonFiles(store, dir);
  if (files.modelJson.format !== undefined && files.modelJson.format !== 'layers-model') {
    throw new BadInputError(files.uri, `has format "${files.modelJson.format}"; only Layers models (format "layers-model") can be cut and trained, graph models cannot`);
  }
  return files;
}

/**
 * Reads `<dir>/model.json` and its weight shards, of a Layers or a graph
 * model (its `format` says which), checking what a loader would trip over
 * later, and the limits (schemas/limits.ts) before tfjs sees anything:
 * model.json's size and nesting, the number of layers, each weight tensor's
 * size and the shards' total, so a model too large or too deep to load is
 * refused naming the limit rather than exhausting the worker.
 */
export async function readModelJsonFiles(store: BlobReader, dir: string): Promise<LayersModelFiles> {
  const key = joinKey(dir, MODEL_JSON);
  const uri = store.uriOf(key);
  const modelJsonBytes = await readLimited(store, key, MAX_MODEL_JSON_BYTES, `the limit for ${MODEL_JSON}`).catch((error: Error) => {
    if (error instanceof BadInputError) throw error;
    throw new BadInputError(uri, `cannot be read (${error.message}); a TensorFlow.js Layers model is a folder with model.json and its weight shards`, { cause: error });
  });
  let modelJson: tf.io.ModelJSON;
  try {
    modelJson = JSON.parse(new TextDecoder().decode(modelJsonBytes)) as tf.io.ModelJSON;
  } catch (error) {
    if (error instanceof RangeError) throw new BadInputError(uri, `is nested too deeply to parse; the limit is ${MAX_MODEL_JSON_DEPTH} levels`, { cause: error });
    throw new BadInputError(uri, 'is not valid JSON', { cause: error });
  }
  if (nestingDepth(modelJson, MAX_MODEL_JSON_DEPTH) > MAX_MODEL_JSON_DEPTH) throw new BadInputError(uri, `is nested more than ${MAX_MODEL_JSON_DEPTH} levels deep, the limit for ${MODEL_JSON}`);
  if (typeof modelJson !== 'object' || modelJson === null || typeof modelJson.modelTopology !== 'object' || modelJson.modelTopology === null) {
    throw new BadInputError(uri, 'has no modelTopology: not a TensorFlow.js model');
  }
  const layers = layerCount(modelJson.modelTopology);
  if (layers > MAX_MODEL_LAYERS) throw new BadInputError(uri, `has ${layers} layers, more than ${MAX_MODEL_LAYERS}, the limit for an imported model`);
  if (!Array.isArray(modelJson.weightsManifest)) throw new BadInputError(uri, 'has no weightsManifest list');
  checkWeightSpecs(uri, modelJson.weightsManifest);
  const shards: Array<{ path: string; bytes: Uint8Array }> = [];
  let weightBytes = 0;
  for (const group of modelJson.weightsManifest) {
    for (const path of group.paths) {
      if (typeof path !== 'string' || path.includes('..') || path.startsWith('/') || /^[a-z]+:/i.test(path) || [...path].some((c) => c.charCodeAt(0) < 0x20)) {
        // Quoted: a NUL or newline in a path is shown as an escape, never printed raw.
        throw new BadInputError(uri, `weight shard path ${JSON.stringify(path)} must be a plain path relative to model.json`);
      }
      const shardKey = joinKey(dir, path);
      const bytes = await readLimited(store, shardKey, MAX_WEIGHT_BYTES - weightBytes, `what is left of the ${formatBytes(MAX_WEIGHT_BYTES)} limit on an imported model's weights`).catch((error: Error) => {
        if (error instanceof BadInputError) throw error;
        throw new BadInputError(store.uriOf(shardKey), `weight shard listed in ${uri} cannot be read (${error.message})`, { cause: error });
      });
      weightBytes += bytes.length;
      shards.push({ path, bytes });
    }
  }
  const lines = [`${MODEL_JSON} ${sha256Hex(modelJsonBytes)}`, ...shards.map(({ path, bytes }) => `${path} ${sha256Hex(bytes)}`)];
  return { uri, modelJson, modelJsonBytes, shards, sha256: sha256Hex(lines.join('\n')) };
}

/** The object's bytes, refused (naming `limit` and `what` it is) once more than `limit` have arrived. */
async function readLimited(store: BlobReader, key: string, limit: number, what: string): Promise<Uint8Array> {
  const tooBig = () => new BadInputError(store.uriOf(key), `is larger than ${formatBytes(limit)}, ${what}`);
  if (!store.stream) {
    const bytes = await store.get(key);
    if (bytes.length > limit) throw tooBig();
    return bytes;
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  const stream = await store.stream(key);
  for await (const chunk of stream) {
    const bytes = chunk as Uint8Array;
    total += bytes.length;
    // Leaving the loop early closes the stream: the rest of the file is never read.
    if (total > limit) throw tooBig();
    chunks.push(bytes);
  }
  return Buffer.concat(chunks, total);
}

/** Layers in a Layers topology, those of nested models included; counted without recursion (see nestingDepth). */
function layerCount(topology: object): number {
  let count = 0;
  const configs: unknown[] = [(topology as { model_config?: unknown }).model_config ?? topology];
  while (configs.length > 0 && count <= MAX_MODEL_LAYERS) {
    const node = configs.pop() as { config?: { layers?: unknown } | unknown[] } | null;
    // Old Keras Sequential configs are the list of layers itself.
    const layers = Array.isArray(node?.config) ? node.config : node?.config?.layers;
    if (!Array.isArray(layers)) continue;
    count += layers.length;
    for (const layer of layers) configs.push(layer);
  }
  return count;
}

/** Each weight's shape is a list of whole sizes whose product is within MAX_TENSOR_ELEMENTS. */
function checkWeightSpecs(uri: string, manifest: tf.io.WeightsManifestConfig): void {
  for (const group of manifest) {
    if (!Array.isArray(group?.paths) || !Array.isArray(group.weights)) throw new BadInputError(uri, 'has a weightsManifest entry without paths and weights lists');
    for (const weight of group.weights) {
      const shape: unknown = weight?.shape;
      if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
        throw new BadInputError(uri, `weight ${JSON.stringify(weight?.name)} has shape ${JSON.stringify(shape)}; a shape is a list of whole sizes`);
      }
      const elements = shape.reduce((product: number, d: number) => product * d, 1);
      if (elements > MAX_TENSOR_ELEMENTS) {
        throw new BadInputError(uri, `weight ${JSON.stringify(weight.name)} of shape [${shape.join(', ')}] has ${elements} elements, more than ${MAX_TENSOR_ELEMENTS}, the limit for one tensor`);
      }
    }
  }
}

/** An IOHandler serving already-read files to `tf.loadLayersModel`. */
export function filesLoadHandler(files: LayersModelFiles): tf.io.IOHandler {
  return {
    load: () =>
      tf.io.getModelArtifactsForJSON(files.modelJson, async (manifest) => {
        const specs = manifest.flatMap((group) => group.weights);
        const buffers = files.shards.map(({ bytes }) => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
        return [specs, buffers];
      }),
  };
}

/** Loads the Layers model saved under `dir` in `store`, with the files it came from. */
export async function loadLayersModelFrom(store: BlobReader, dir: string): Promise<{ model: tf.LayersModel; files: LayersModelFiles }> {
  const files = await readLayersModelFiles(store, dir);
  try {
    const model = await tf.loadLayersModel(filesLoadHandler(files), { strict: true });
    return { model, files };
  } catch (error) {
    throw new BadInputError(files.uri, `cannot be loaded as a Layers model (${(error as Error).message})`, { cause: error });
  }
}

/**
 * An IOHandler for `model.save` that writes `model.json` and one weight shard
 * (`weights.bin`) under `dir`, in the layout tensorflowjs_converter uses.
 */
export function storeSaveHandler(store: BlobWriter, dir: string): tf.io.IOHandler {
  return {
    save: async (artifacts) => {
      if (artifacts.modelTopology instanceof ArrayBuffer) throw new Error('saving a Layers model: binary topologies are not supported');
      const data = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      const shard = 'weights.bin';
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology!,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [shard], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
      };
      await store.put(joinKey(dir, shard), new Uint8Array(data), { contentType: 'application/octet-stream' });
      await store.put(joinKey(dir, MODEL_JSON), JSON.stringify(modelJson), { contentType: 'application/json' });
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
  };
}
