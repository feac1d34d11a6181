/**
 * Imported backbones: a TensorFlow.js Layers model cut at a named layer,
 * with its input brought to what it was trained on, as a feature extractor
 * and, with a new dense head, as a w2s Model the training loop, optimizers
 * and checkpoints handle like any zoo model.
 *
 * The backbone always runs in inference mode (batch norm on its moving
 * statistics, no dropout), in `finetune` as in `probe`: the usual advice for
 * fine-tuning a pretrained network on a small set, and what keeps a forward
 * pass free of side effects so a resumed run stays bit-identical.
 */
import * as tf from '@tensorflow/tfjs';
import { BadInputError } from '../../core/errors.js';
import type { ImageShape } from '../data/batches.js';
import type { Normalization } from '../data/array-source.js';
import { assembleModel, type Model } from '../models/model.js';
import { assignModelTensors } from '../models/serialize.js';
import { decodeTensorFile } from '../nn/tensor-file.js';
import { Dense } from '../nn/layers.js';
import type { ParamKind } from '../nn/params.js';
import { BackboneCutSchema, BackboneInputSchema, type BackboneCut, type BackboneInput, type BackboneMode } from './config.js';
import { loadLayersModelFrom, type BlobReader } from './layers-io.js';

export interface ImportedBackbone {
  /** URI of the model.json it came from. */
  readonly uri: string;
  /** Content hash of model.json and its weight shards (see readLayersModelFiles), for lineage and cache keys. */
  readonly sha256: string;
  /** The layer the features come from. */
  readonly layer: string;
  /** How a feature map at the cut becomes a vector. */
  readonly pooling: BackboneCut['pooling'];
  /** Length of the feature vector. */
  readonly featureDim: number;
  /** `[height, width, channels]` the backbone takes. */
  readonly inputShape: ImageShape;
  /** The model cut at `layer`; its weights are the loaded model's. */
  readonly trunk: tf.LayersModel;
  /** Features `[batch, featureDim]` of images already in the backbone's input form. */
  features(x: tf.Tensor4D): tf.Tensor2D;
  dispose(): void;
}

/** Loads the Layers model under `dir` of `store` and cuts it (default: before its classifier). */
export async function importBackbone(store: BlobReader, dir: string, cutInput: Partial<BackboneCut> = {}): Promise<ImportedBackbone> {
  const { model, files } = await loadLayersModelFrom(store, dir);
  try {
    return cutLayersModel(model, { uri: files.uri, sha256: files.sha256 }, cutInput);
  } catch (error) {
    model.dispose();
    throw error;
  }
}

/** Where a Layers model came from: its model.json's URI and the content hash of its files. */
export interface LayersModelSource {
  readonly uri: string;
  readonly sha256: string;
}

/**
 * Cuts a loaded Layers model at a layer (default: before its classifier).
 * The backbone owns `model`: disposing it disposes the model; on error the
 * caller still owns it.
 */
export function cutLayersModel(model: tf.LayersModel, source: LayersModelSource, cutInput: Partial<BackboneCut> = {}): ImportedBackbone {
  const cut = BackboneCutSchema.parse(cutInput);
  const layerName = cut.layer ?? layerBeforeClassifier(model, source.uri);
  let layer: tf.layers.Layer;
  try {
    layer = model.getLayer(layerName);
  } catch {
    throw new BadInputError(source.uri, `has no layer "${layerName}" (layers: ${model.layers.map((l) => l.name).join(', ')})`);
  }
  const trunk = tf.model({ inputs: model.inputs, outputs: layer.output as tf.SymbolicTensor });
  return backboneOfTrunk(trunk, { ...source, layer: layerName, pooling: cut.pooling }, () => model.dispose());
}

/** How a backbone's trunk is described: its source, the layer it ends at and how that layer's output becomes a vector. */
export interface TrunkDescription extends LayersModelSource {
  readonly layer: string;
  readonly pooling: BackboneCut['pooling'];
}

/** A backbone over a trunk that already ends at the cut (its output is the feature); `dispose` frees what the trunk's weights belong to. */
export function backboneOfTrunk(trunk: tf.LayersModel, description: TrunkDescription, dispose: () => void): ImportedBackbone {
  const { uri, sha256, layer, pooling } = description;
  const inputShape = trunk.inputs[0]!.shape;
  if (trunk.inputs.length !== 1 || inputShape.length !== 4 || inputShape.slice(1).some((d) => d === null)) {
    throw new BadInputError(uri, `takes inputs ${JSON.stringify(trunk.inputs.map((i) => i.shape))}; a backbone takes one image batch [batch, h, w, c] of fixed size`);
  }
  const outShape = trunk.outputs[0]!.shape;
  if (trunk.outputs.length !== 1 || outShape.slice(1).some((d) => d === null) || (outShape.length !== 2 && outShape.length !== 4)) {
    throw new BadInputError(uri, `layer "${layer}" gives outputs of shape ${JSON.stringify(outShape)}; cut at a layer with a vector [batch, d] or a feature map [batch, h, w, c] output`);
  }
  const dims = outShape.slice(1) as number[];
  const featureDim = outShape.length === 2 || pooling === 'flatten' ? dims.reduce((a, b) => a * b, 1) : dims[2]!;
  return {
    uri,
    sha256,
    layer,
    pooling,
    featureDim,
    inputShape: inputShape.slice(1) as unknown as ImageShape,
    trunk,
    features(x) {
      return tf.tidy(() => {
        const y = trunk.apply(x, { training: false }) as tf.Tensor;
        if (y.rank === 2) return y as tf.Tensor2D;
        return pooling === 'avg' ? (tf.mean(y, [1, 2]) as tf.Tensor2D) : (tf.reshape(y, [y.shape[0]!, -1]) as tf.Tensor2D);
      });
    },
    dispose,
  };
}

/** The layer whose output feeds the model's last layer: the classifier's input. */
function layerBeforeClassifier(model: tf.LayersModel, uri: string): string {
  const last = model.layers.at(-1);
  const inbound = last?.inboundNodes[0]?.inboundLayers ?? [];
  if (!last || inbound.length !== 1 || inbound[0]!.name === model.inputLayers[0]?.name) {
    throw new BadInputError(uri, `cannot tell which layer comes before the classifier (last layer ${last?.name ?? 'none'}); name the layer to cut at`);
  }
  return inbound[0]!.name;
}

/**
 * Whether images of `dataShape` can be brought to the backbone's input with
 * `input`: the size it names is the model's, grey becomes colour but not the
 * other way, and mean and std have one value or one per channel. Returns the
 * size and per-channel statistics to use.
 */
export function checkBackboneInput(backbone: Pick<ImportedBackbone, 'inputShape' | 'uri'>, input: BackboneInput, dataShape: ImageShape): { size: [number, number]; mean: number[]; std: number[] } {
  const [bh, bw, bc] = backbone.inputShape;
  const c = dataShape[2];
  const [th, tw] = input.size ?? [bh, bw];
  if (th !== bh || tw !== bw) throw new BadInputError(`backbone ${backbone.uri}`, `input size ${th}x${tw} differs from the ${bh}x${bw} the model takes`);
  if (c !== bc && !(c === 1 && bc === 3)) throw new BadInputError(`backbone ${backbone.uri}`, `takes ${bc}-channel images; the data has ${c} channels`);
  const perChannel = (values: readonly number[], what: string): number[] => {
    if (values.length !== 1 && values.length !== bc) throw new BadInputError(`backbone ${backbone.uri}`, `input ${what} has ${values.length} values for ${bc} channels`);
    return Array.from({ length: bc }, (_, i) => values[values.length === 1 ? 0 : i]!);
  };
  return { size: [th, tw], mean: perChannel(input.mean, 'mean'), std: perChannel(input.std, 'std') };
}

/**
 * Brings dataset-normalised images to the backbone's input: back to [0, 1]
 * pixels, resized (bilinear) to its size, grey to three channels where it
 * takes colour, then normalised with its mean and std.
 */
export function backboneInput(backbone: Pick<ImportedBackbone, 'inputShape' | 'uri'>, input: Partial<BackboneInput>, data: Normalization, dataShape: ImageShape): (x: tf.Tensor4D) => tf.Tensor4D {
  const settings = BackboneInputSchema.parse(input);
  const { size: [th, tw], mean, std } = checkBackboneInput(backbone, settings, dataShape);
  const [, , bc] = backbone.inputShape;
  const [h, w, c] = dataShape;
  const dataMean = Array.from({ length: c }, (_, i) => data.mean[data.mean.length === 1 ? 0 : i]!);
  const dataStd = Array.from({ length: c }, (_, i) => data.std[data.std.length === 1 ? 0 : i]!);
  const resize = th !== h || tw !== w;
  return (x) =>
    tf.tidy(() => {
      let pixels = tf.add(tf.mul(x, tf.tensor1d(dataStd)), tf.tensor1d(dataMean)) as tf.Tensor4D;
      if (resize) pixels = tf.image.resizeBilinear(pixels, [th, tw], false, true);
      if (c !== bc) pixels = tf.tile(pixels, [1, 1, 1, bc]);
      return tf.div(tf.sub(pixels, tf.tensor1d(mean)), tf.tensor1d(std)) as tf.Tensor4D;
    });
}

/** The backbone's features of dataset-normalised images: input conversion, then the cut model. */
export function backboneFeatures(backbone: ImportedBackbone, input: Partial<BackboneInput>, data: Normalization, dataShape: ImageShape): (x: tf.Tensor4D) => tf.Tensor2D {
  const prepare = backboneInput(backbone, input, data, dataShape);
  return (x) => tf.tidy(() => backbone.features(prepare(x)));
}

export interface ImportedModelOptions {
  readonly backbone: ImportedBackbone;
  readonly mode: BackboneMode;
  /** How the data's images are normalised (what a BatchSource hands out). */
  readonly dataNormalization: Normalization;
  readonly dataShape: ImageShape;
  readonly numClasses: number;
  /** Keys the head's initial weights. */
  readonly seed: number;
  readonly input?: Partial<BackboneInput>;
}

/** The parameter name of a backbone weight (`conv1/kernel` is `backbone/conv1/kernel`), in models and in saved backbones alike. */
export function backboneWeightName(originalName: string): string {
  return `backbone/${originalName.replace(/[^A-Za-z0-9_.\-/]/g, '_')}`;
}

/** Model name of an imported backbone with a head, as checkpoints and lineage record it. */
export function importedModelName(backbone: Pick<ImportedBackbone, 'sha256' | 'layer'>, mode: BackboneMode): string {
  return `layers:${backbone.sha256.slice(0, 16)}@${backbone.layer}/${mode}`;
}

/**
 * The backbone, cut and preprocessed, with a new dense head over its
 * features. Its variables are the backbone's (`backbone/<layer>/<weight>`:
 * trainable in `finetune`, frozen in `probe`; moving statistics are frozen in
 * both) and the head's (`head/weight`, `head/bias`). Disposing the model
 * frees the head; the backbone's weights stay with the backbone.
 */
export function buildImportedModel(options: ImportedModelOptions): Model {
  const { backbone, mode, numClasses, seed, dataShape } = options;
  const features = backboneFeatures(backbone, options.input ?? {}, options.dataNormalization, dataShape);
  const seen = new Set<string>();
  return assembleModel(importedModelName(backbone, mode), { inputShape: dataShape, numClasses, seed }, (scope) => {
    const trainable = new Set(backbone.trunk.trainableWeights.map((w) => w.read()));
    for (const weight of backbone.trunk.weights) {
      const variable = weight.read() as tf.Variable;
      const name = backboneWeightName(weight.originalName);
      if (seen.has(name)) throw new BadInputError(backbone.uri, `two weights are both named ${weight.originalName}`);
      seen.add(name);
      const kind: ParamKind = mode === 'finetune' && trainable.has(variable) ? 'trainable' : 'frozen';
      scope.registry.adopt(name, kind, variable);
    }
    const head = new Dense(scope.child('head'), { inFeatures: backbone.featureDim, outFeatures: numClasses });
    return (x) => tf.tidy(() => head.apply(features(x)));
  });
}

/**
 * Loads trained weights (`serializeModel` bytes or a training checkpoint of
 * this imported model) into a model built by `buildImportedModel` on the
 * same backbone: what labeling and evaluation do with a trained student.
 */
export function loadImportedWeights(model: Model, bytes: Uint8Array, where = 'imported model weights'): void {
  assignModelTensors(model, decodeTensorFile(bytes, where).tensors, where);
}
