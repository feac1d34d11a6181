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

export interface BlobReader {
  /** URI of a key, for error messages and lineage. */
  uriOf(key: string): string;
  get(key: string): Promise<Uint8Array>;
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
 * later.
 */
export async function readModelJsonFiles(store: BlobReader, dir: string): Promise<LayersModelFiles> {
  const key = joinKey(dir, MODEL_JSON);
  const uri = store.uriOf(key);
  const modelJsonBytes = await store.get(key).catch((error: Error) => {
    throw new BadInputError(uri, `cannot be read (${error.message}); a TensorFlow.js Layers model is a folder with model.json and its weight shards`, { cause: error });
  });
  let modelJson: tf.io.ModelJSON;
  try {
    modelJson = JSON.parse(new TextDecoder().decode(modelJsonBytes)) as tf.io.ModelJSON;
  } catch (error) {
    throw new BadInputError(uri, 'is not valid JSON', { cause: error });
  }
  if (typeof modelJson !== 'object' || modelJson === null || typeof modelJson.modelTopology !== 'object' || modelJson.modelTopology === null) {
    throw new BadInputError(uri, 'has no modelTopology: not a TensorFlow.js model');
  }
  if (!Array.isArray(modelJson.weightsManifest)) throw new BadInputError(uri, 'has no weightsManifest list');
  const shards: Array<{ path: string; bytes: Uint8Array }> = [];
  for (const group of modelJson.weightsManifest) {
    for (const path of group.paths) {
      if (path.includes('..') || path.startsWith('/') || /^[a-z]+:/i.test(path)) throw new BadInputError(uri, `weight shard path "${path}" must be relative to model.json`);
      const shardKey = joinKey(dir, path);
      const bytes = await store.get(shardKey).catch((error: Error) => {
        throw new BadInputError(store.uriOf(shardKey), `weight shard listed in ${uri} cannot be read (${error.message})`, { cause: error });
      });
      shards.push({ path, bytes });
    }
  }
  const lines = [`${MODEL_JSON} ${sha256Hex(modelJsonBytes)}`, ...shards.map(({ path, bytes }) => `${path} ${sha256Hex(bytes)}`)];
  return { uri, modelJson, modelJsonBytes, shards, sha256: sha256Hex(lines.join('\n')) };
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
