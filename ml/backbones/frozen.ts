/**
 * Frozen backbones: foundation models as they are shipped, run as they are.
 * An ONNX file (the usual export of a PyTorch model) runs in onnxruntime
 * (its CUDA provider where installed, else its CPU one); a TensorFlow.js
 * graph model (`model.json` with `"format": "graph-model"`) runs in
 * TensorFlow.js. Neither can be cut or trained here, so they serve `probe`
 * students: a named output is the feature vector, computed once per image
 * (stages/features.ts) for a head that trains on the stored vectors.
 *
 * Opening one checks everything a run would trip over later, each refusal
 * a BadInputError naming the model: the file loads, its operators are
 * supported, it takes one image batch the input settings can feed, the
 * output exists and gives one vector per image (checked on a batch of two
 * blank images).
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { BadInputError } from '../../core/errors.js';
import { BACKBONE_LAYOUTS, BackboneInputSchema, FROZEN_FORMATS, type BackboneInput, type BackboneLayout, type FrozenFormat } from '../../schemas/pretrain.js';
import type { ImageShape } from '../data/batches.js';
import type { Normalization } from '../data/array-source.js';
import { backboneInput, checkBackboneInput } from './imported.js';
import { filesLoadHandler, MODEL_JSON, type LayersModelFiles } from './layers-io.js';

/** A file of the model as it was read: `model.onnx`, or `model.json` and its weight shards. */
export interface ModelFile {
  readonly path: string;
  readonly bytes: Uint8Array;
}

/** What opening a frozen model needs: its files, where they came from, and the config's choices. */
export interface FrozenModelRequest {
  readonly format: FrozenFormat;
  /** URI of the ONNX file or of model.json, for errors and lineage. */
  readonly uri: string;
  /** Content hash of the files (of the ONNX file; of model.json and its shards as readLayersModelFiles computes it). */
  readonly sha256: string;
  /** ONNX: the one file. Graph model: model.json first, then its weight shards by their path relative to it. */
  readonly files: readonly ModelFile[];
  /** The output that is the feature vector; default the model's first. */
  readonly output?: string;
  readonly input: Partial<BackboneInput>;
}

/** Everything that rebuilds a frozen backbone from its files, as saved backbones and trained students record it. */
export interface FrozenDescription {
  readonly format: FrozenFormat;
  readonly source: { readonly uri: string; readonly sha256: string };
  readonly output: string;
  readonly inputName: string;
  readonly layout: BackboneLayout;
  /** `[height, width, channels]` the model takes, resolved from its input shape and the config. */
  readonly inputShape: ImageShape;
  readonly featureDim: number;
  /** The input settings as configured (mean and std; size, layout and channels where given). */
  readonly input: BackboneInput;
}

export interface FrozenBackbone {
  readonly description: FrozenDescription;
  /** Where it runs: `cuda` or `cpu` (onnxruntime's execution provider), or `tfjs`. */
  readonly runsOn: string;
  /** Features `[batch, featureDim]` of images already in the model's input form: `[batch, h, w, c]`, resized and normalised. */
  features(x: tf.Tensor4D): Promise<tf.Tensor2D>;
  dispose(): void;
}

/** The model behind a frozen backbone: its inputs and outputs, and one forward pass. */
interface Runner {
  readonly runsOn: string;
  readonly inputs: ReadonlyArray<{ readonly name: string; readonly shape: ReadonlyArray<number | string> | undefined; readonly type: string }>;
  readonly outputs: readonly string[];
  /** The output named `output` for input `x` (already in the model's layout); the caller disposes it. */
  run(x: tf.Tensor4D, output: string): Promise<tf.Tensor>;
  dispose(): void;
}

/** Opens a frozen model and checks it can serve as a backbone for images of `dataShape` (when given). */
export async function openFrozenBackbone(request: FrozenModelRequest, dataShape?: ImageShape): Promise<FrozenBackbone> {
  const runner = request.format === 'onnx' ? await onnxRunner(request) : await graphRunner(request);
  try {
    return await frozenBackbone(runner, request, dataShape);
  } catch (error) {
    runner.dispose();
    throw error;
  }
}

async function frozenBackbone(runner: Runner, request: FrozenModelRequest, dataShape: ImageShape | undefined): Promise<FrozenBackbone> {
  const { uri } = request;
  const input = BackboneInputSchema.parse(request.input);
  if (runner.inputs.length !== 1) {
    throw new BadInputError(uri, `takes ${runner.inputs.length} inputs (${runner.inputs.map((i) => i.name).join(', ')}); a backbone takes one image batch`);
  }
  const [modelInput] = runner.inputs as [Runner['inputs'][number]];
  if (modelInput.type !== 'float32') throw new BadInputError(uri, `input ${modelInput.name} is of type ${modelInput.type}; a backbone takes float32 images`);
  const { layout, inputShape } = resolveInput(uri, modelInput.name, modelInput.shape, input, request.format);
  // Mean and std of one value or one per channel, and channels the data can be brought to.
  checkBackboneInput({ uri, inputShape }, { ...input, size: [inputShape[0], inputShape[1]] }, dataShape ?? inputShape);
  const output = request.output ?? runner.outputs[0];
  if (output === undefined) throw new BadInputError(uri, 'has no outputs');
  if (!runner.outputs.includes(output)) throw new BadInputError(uri, `has no output "${output}" (outputs: ${runner.outputs.join(', ')})`);

  const arrange = (x: tf.Tensor4D): tf.Tensor4D => (layout === 'NCHW' ? tf.transpose(x, [0, 3, 1, 2]) : x);
  const forward = async (x: tf.Tensor4D): Promise<tf.Tensor> => {
    const arranged = arrange(x);
    try {
      return await runner.run(arranged, output);
    } finally {
      if (arranged !== x) arranged.dispose();
    }
  };
  // Two blank images: the output's shape per image, and any operator the runtime cannot run, before a run depends on it.
  const blank = tf.zeros([2, ...inputShape]) as tf.Tensor4D;
  let probe: tf.Tensor;
  try {
    probe = await forward(blank);
  } catch (error) {
    throw runFailure(uri, error, `a batch of two ${inputShape.join('x')} images`);
  } finally {
    blank.dispose();
  }
  const featureDim = vectorWidth(uri, output, probe.shape);
  probe.dispose();
  const description: FrozenDescription = { format: request.format, source: { uri, sha256: request.sha256 }, output, inputName: modelInput.name, layout, inputShape, featureDim, input };
  return {
    description,
    runsOn: runner.runsOn,
    async features(x) {
      const y = await forward(x);
      if (y.shape[0] !== x.shape[0] || y.size !== x.shape[0] * featureDim) {
        y.dispose();
        throw new Error(`${uri} output ${output} gave shape [${y.shape.join(', ')}] for ${x.shape[0]} images, expected ${featureDim} features each`);
      }
      const features = tf.reshape(y, [x.shape[0], featureDim]) as tf.Tensor2D;
      y.dispose();
      return features;
    },
    dispose: () => runner.dispose(),
  };
}

/**
 * The model's input layout and `[h, w, c]`: each from its input shape
 * where it names the dimension, else from the config; a config value that
 * contradicts the model is refused.
 */
function resolveInput(uri: string, name: string, shape: ReadonlyArray<number | string> | undefined, input: BackboneInput, format: FrozenFormat): { layout: BackboneLayout; inputShape: ImageShape } {
  const known = (d: number | string | undefined): d is number => typeof d === 'number' && d > 0;
  const described = shape && shape.length > 0 ? `[${shape.map((d) => (known(d) ? d : JSON.stringify(d))).join(', ')}]` : 'of unknown shape';
  if (shape && shape.length > 0 && shape.length !== 4) throw new BadInputError(uri, `input ${name} is ${described}; a backbone takes an image batch of rank 4 (NCHW or NHWC)`);
  const dims = shape && shape.length === 4 ? shape : [undefined, undefined, undefined, undefined];
  const channelsFirst = known(dims[1]) && dims[1] <= 4;
  const channelsLast = known(dims[3]) && dims[3] <= 4;
  const shapeSays: BackboneLayout | undefined = channelsFirst !== channelsLast ? (channelsFirst ? 'NCHW' : 'NHWC') : undefined;
  if (input.layout && shapeSays && input.layout !== shapeSays) throw new BadInputError(uri, `input ${name} is ${described}, channels ${shapeSays === 'NCHW' ? 'first' : 'last'} (${shapeSays}); input.layout says ${input.layout}`);
  // TensorFlow's exports are channels-last; an ONNX model that does not say is left to the config.
  const layout = input.layout ?? shapeSays ?? (format === 'graph-model' ? 'NHWC' : undefined);
  if (!layout) throw new BadInputError(uri, `input ${name} is ${described}: cannot tell where its channels are; set input.layout (${BACKBONE_LAYOUTS.join(' or ')})`);
  const [hd, wd, cd] = layout === 'NCHW' ? [dims[2], dims[3], dims[1]] : [dims[1], dims[2], dims[3]];
  if (input.channels !== undefined && known(cd) && cd !== input.channels) throw new BadInputError(uri, `input ${name} is ${described} (${layout}): it takes ${cd} channels, not the ${input.channels} input.channels names`);
  const channels = known(cd) ? cd : input.channels;
  if (channels === undefined) throw new BadInputError(uri, `input ${name} is ${described}: it does not say how many channels it takes; set input.channels`);
  if (input.size && ((known(hd) && hd !== input.size[0]) || (known(wd) && wd !== input.size[1]))) {
    throw new BadInputError(uri, `input size ${input.size[0]}x${input.size[1]} differs from the ${hd}x${wd} the model takes`);
  }
  const height = known(hd) ? hd : input.size?.[0];
  const width = known(wd) ? wd : input.size?.[1];
  if (height === undefined || width === undefined) throw new BadInputError(uri, `input ${name} is ${described}: it does not fix its image size; set input.size to the [height, width] it was trained on`);
  return { layout, inputShape: [height, width, channels] };
}

/** The feature width of an output of shape `shape` for a batch of two, or a refusal that says how to pool it. */
function vectorWidth(uri: string, output: string, shape: readonly number[]): number {
  const [batch, width, ...rest] = shape;
  if (batch === 2 && width !== undefined && rest.every((d) => d === 1)) return width;
  const got = `output ${output} gives [${shape.join(', ')}] for a batch of 2`;
  if (shape.length === 3) {
    throw new BadInputError(uri, `${got}: a sequence of token vectors per image, not one vector; export the model with a pooled output (the class token, y[:, 0], or the mean over tokens, y.mean(1)) and name it in output`);
  }
  if (shape.length === 4) {
    throw new BadInputError(uri, `${got}: a feature map per image, not one vector; export the model with global average pooling over the map (y.mean((2, 3)) for NCHW) and name that output`);
  }
  throw new BadInputError(uri, `${got}; a backbone's output is one vector per image [batch, features]`);
}

/** A failure of the model on real input, said as what the user must change. */
function runFailure(uri: string, error: unknown, what: string): BadInputError {
  const message = (error as Error).message;
  const op = unsupportedOperator(message);
  if (op) return new BadInputError(uri, `uses operator ${op}, which this runtime does not support (${message.split('\n')[0]}); export it with other operators (an older opset, no custom ops)`, { cause: error });
  return new BadInputError(uri, `fails on ${what} (${message.split('\n')[0]})`, { cause: error });
}

/** The operator an error message of onnxruntime or TensorFlow.js says it lacks, if it says so. */
function unsupportedOperator(message: string): string | undefined {
  const patterns = [/No Op registered for (\S+)/, /Could not find an implementation for (\S+?)[(\s]/, /Unknown op '([^']+)'/, /Tensorflow Op is not supported: (\S+)/, /op '([^']+)' is not supported/i];
  for (const pattern of patterns) {
    const match = pattern.exec(message);
    if (match) return match[1];
  }
  return undefined;
}

type OrtModule = typeof import('onnxruntime-node');

/**
 * onnxruntime's execution providers to ask for: CUDA where its provider
 * library was installed beside the binding (GPU images install it with
 * ONNXRUNTIME_NODE_INSTALL=cuda12; the npm package ships the CPU library
 * only), then the CPU. `W2S_ONNX_PROVIDERS` (comma-separated) overrides.
 */
function executionProviders(): string[] {
  const forced = process.env.W2S_ONNX_PROVIDERS;
  if (forced) return forced.split(',').map((p) => p.trim()).filter((p) => p.length > 0);
  return cudaProviderInstalled() ? ['cuda', 'cpu'] : ['cpu'];
}

function cudaProviderInstalled(): boolean {
  if (process.platform !== 'linux') return false;
  const bin = join(dirname(dirname(createRequire(import.meta.url).resolve('onnxruntime-node'))), 'bin');
  if (!existsSync(bin)) return false;
  return readdirSync(bin).some((napi) => existsSync(join(bin, napi, 'linux', process.arch, 'libonnxruntime_providers_cuda.so')));
}

async function onnxRunner(request: FrozenModelRequest): Promise<Runner> {
  const { uri } = request;
  const file = request.files[0];
  if (!file || request.files.length !== 1) throw new BadInputError(uri, 'an ONNX model is one file');
  // Loaded on first use: workers and the CLI that never meet an ONNX model do not load its native library.
  const ort: OrtModule = await import('onnxruntime-node');
  const wanted = executionProviders();
  let session: Awaited<ReturnType<OrtModule['InferenceSession']['create']>> | undefined;
  let runsOn = 'cpu';
  for (const providers of wanted.includes('cuda') ? [wanted, wanted.filter((p) => p !== 'cuda')] : [wanted]) {
    try {
      session = await ort.InferenceSession.create(file.bytes, { executionProviders: providers, graphOptimizationLevel: 'all' });
      runsOn = providers[0] ?? 'cpu';
      break;
    } catch (error) {
      const message = (error as Error).message;
      if (/protobuf parsing failed/i.test(message)) throw new BadInputError(uri, 'is not a model: neither an ONNX file nor a TensorFlow.js model.json (its bytes do not parse as an ONNX model)', { cause: error });
      const op = unsupportedOperator(message);
      if (op) throw runFailure(uri, error, 'load');
      // A CUDA provider that cannot start (no GPU, no driver) leaves the CPU one; any other failure is the model's.
      if (!providers.includes('cuda')) throw new BadInputError(uri, `cannot be loaded as an ONNX model (${message.split('\n')[0]})`, { cause: error });
    }
  }
  if (!session) throw new BadInputError(uri, 'cannot be loaded as an ONNX model');
  const live = session;
  return {
    runsOn,
    inputs: live.inputMetadata.map((m) => ({ name: m.name, shape: m.isTensor ? m.shape : undefined, type: m.isTensor ? m.type : 'not a tensor' })),
    outputs: live.outputNames,
    async run(x, output) {
      const values = (await x.data()) as Float32Array;
      const feed = new ort.Tensor('float32', values, x.shape);
      const result = await live.run({ [live.inputNames[0]!]: feed }, [output]);
      const y = result[output];
      if (!y || y.type !== 'float32') throw new Error(`output ${output} is ${y ? `of type ${y.type}` : 'missing'}, not float32`);
      return tf.tensor(y.data as Float32Array, [...y.dims]);
    },
    dispose() {
      void live.release();
    },
  };
}

async function graphRunner(request: FrozenModelRequest): Promise<Runner> {
  const { uri } = request;
  const [json, ...shards] = request.files;
  if (!json || json.path !== MODEL_JSON) throw new BadInputError(uri, 'a graph model is model.json and its weight shards');
  let modelJson: tf.io.ModelJSON;
  try {
    modelJson = JSON.parse(new TextDecoder().decode(json.bytes)) as tf.io.ModelJSON;
  } catch (error) {
    throw new BadInputError(uri, 'is not valid JSON', { cause: error });
  }
  const files: LayersModelFiles = { uri, modelJson, modelJsonBytes: json.bytes, shards, sha256: request.sha256 };
  let model: tf.GraphModel;
  try {
    model = await tf.loadGraphModel(filesLoadHandler(files));
  } catch (error) {
    const op = unsupportedOperator((error as Error).message);
    if (op) throw runFailure(uri, error, 'load');
    throw new BadInputError(uri, `cannot be loaded as a TensorFlow.js graph model (${(error as Error).message})`, { cause: error });
  }
  return {
    runsOn: 'tfjs',
    inputs: model.inputs.map((i) => ({ name: i.name, shape: i.shape?.map((d) => (d < 0 ? 'dynamic' : d)), type: i.dtype })),
    outputs: model.outputNodes,
    async run(x, output) {
      // executeAsync: graph models exported with control flow (while loops, conditionals) cannot run synchronously.
      return (await model.executeAsync(x, output)) as tf.Tensor;
    },
    dispose: () => model.dispose(),
  };
}

/**
 * Brings dataset-normalised images to a frozen backbone's input form (as
 * for Layers backbones: back to pixels, resized, grey tiled to colour,
 * normalised with the model's mean and std) and returns their features.
 */
export function frozenFeatures(backbone: FrozenBackbone, data: Normalization, dataShape: ImageShape): (x: tf.Tensor4D) => Promise<tf.Tensor2D> {
  const { description } = backbone;
  const [h, w] = description.inputShape;
  const prepare = backboneInputOf(description, data, dataShape, [h, w]);
  return async (x) => {
    const ready = prepare(x);
    try {
      return await backbone.features(ready);
    } finally {
      ready.dispose();
    }
  };
}

export const isFrozenFormat = (format: string): format is FrozenFormat => (FROZEN_FORMATS as readonly string[]).includes(format);

function backboneInputOf(description: FrozenDescription, data: Normalization, dataShape: ImageShape, size: [number, number]): (x: tf.Tensor4D) => tf.Tensor4D {
  return backboneInput({ uri: description.source.uri, inputShape: description.inputShape }, { mean: description.input.mean, std: description.input.std, size }, data, dataShape);
}
