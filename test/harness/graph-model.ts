/**
 * A small TensorFlow.js graph model written by hand, as tensorflowjs_converter
 * writes a SavedModel's (`model.json` with `"format": "graph-model"`, a
 * GraphDef in JSON, and one weight shard): a 3x3 convolution with bias and
 * ReLU over 16x16 RGB NHWC images, then the mean over the map. Outputs
 * `features` [batch, F] and `feature_map` [batch, 16, 16, F], which is not
 * one vector per image. `op` replaces ReLU's operator name (a model with an
 * operator no runtime has). Also: the same computation in tfjs ops, the
 * reference "outside w2s".
 */
import * as tf from '@tensorflow/tfjs';
import type { BlobWriter } from '../../ml/backbones/layers-io.js';

const FLOAT = { type: 'DT_FLOAT' };
/** Filters of the convolution: the feature width. */
const F = 32;
const ascii = (s: string) => Buffer.from(s).toString('base64');
const dims = (shape: readonly number[]) => ({ dim: shape.map((d) => ({ size: String(d) })) });

export interface GraphModelWeights {
  readonly kernel: Float32Array;
  readonly bias: Float32Array;
}

/** Seeded weights: equal seeds give equal files. */
export function graphModelWeights(seed: number): GraphModelWeights {
  return tf.tidy(() => ({
    kernel: tf.randomNormal([3, 3, 3, F], 0, 0.3, 'float32', seed).dataSync() as Float32Array,
    bias: tf.randomNormal([F], 0, 0.1, 'float32', seed + 1).dataSync() as Float32Array,
  }));
}

/**
 * Weights worth probing: the same convolution, with a dense classifier on
 * its pooled output, trained briefly (seeded, unshuffled) on `images`
 * (already in the model's input form) and `labels`; the classifier is
 * thrown away, as a foundation model's head is.
 */
export async function pretrainedGraphModelWeights(images: tf.Tensor4D, labels: tf.Tensor2D, seed: number): Promise<GraphModelWeights> {
  const input = tf.input({ shape: [16, 16, 3] });
  const conv = tf.layers.conv2d({ filters: F, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed }) });
  const pooled = tf.layers.globalAveragePooling2d({}).apply(conv.apply(input)) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: labels.shape[1], activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }).apply(pooled) as tf.SymbolicTensor;
  const net = tf.model({ inputs: input, outputs: out });
  net.compile({ optimizer: tf.train.adam(0.02), loss: 'categoricalCrossentropy' });
  await net.fit(images, labels, { epochs: 15, batchSize: 64, shuffle: false, verbose: 0 });
  const [kernel, bias] = conv.getWeights();
  const weights = { kernel: (await kernel!.data()) as Float32Array, bias: (await bias!.data()) as Float32Array };
  net.dispose();
  return weights;
}

/** Writes `<dir>/model.json` and `<dir>/weights.bin`. */
export async function writeGraphModel(store: BlobWriter, dir: string, weights: GraphModelWeights, op = 'Relu'): Promise<void> {
  const constant = (name: string, dtype: string, shape: number[]) => ({ name, op: 'Const', attr: { value: { tensor: { dtype, tensorShape: dims(shape) } }, dtype: { type: dtype } } });
  const node = [
    { name: 'image', op: 'Placeholder', attr: { dtype: FLOAT, shape: { shape: dims([-1, 16, 16, 3]) } } },
    constant('kernel', 'DT_FLOAT', [3, 3, 3, F]),
    constant('bias', 'DT_FLOAT', [F]),
    constant('axes', 'DT_INT32', [2]),
    {
      name: 'conv',
      op: 'Conv2D',
      input: ['image', 'kernel'],
      attr: { T: FLOAT, strides: { list: { i: ['1', '1', '1', '1'] } }, padding: { s: ascii('SAME') }, data_format: { s: ascii('NHWC') }, dilations: { list: { i: ['1', '1', '1', '1'] } } },
    },
    { name: 'biased', op: 'BiasAdd', input: ['conv', 'bias'], attr: { T: FLOAT, data_format: { s: ascii('NHWC') } } },
    { name: 'relu', op, input: ['biased'], attr: { T: FLOAT } },
    { name: 'features', op: 'Mean', input: ['relu', 'axes'], attr: { T: FLOAT, Tidx: { type: 'DT_INT32' }, keep_dims: { b: false } } },
    { name: 'feature_map', op: 'Identity', input: ['relu'], attr: { T: FLOAT } },
  ];
  const axes = new Int32Array([1, 2]);
  const data = new Uint8Array(weights.kernel.byteLength + weights.bias.byteLength + axes.byteLength);
  data.set(new Uint8Array(weights.kernel.buffer, weights.kernel.byteOffset, weights.kernel.byteLength), 0);
  data.set(new Uint8Array(weights.bias.buffer, weights.bias.byteOffset, weights.bias.byteLength), weights.kernel.byteLength);
  data.set(new Uint8Array(axes.buffer), weights.kernel.byteLength + weights.bias.byteLength);
  const modelJson = {
    format: 'graph-model',
    generatedBy: 'w2s tests',
    convertedBy: 'test/harness/graph-model.ts',
    modelTopology: { node, library: {}, versions: { producer: 1 } },
    weightsManifest: [
      {
        paths: ['weights.bin'],
        weights: [
          { name: 'kernel', shape: [3, 3, 3, F], dtype: 'float32' },
          { name: 'bias', shape: [F], dtype: 'float32' },
          { name: 'axes', shape: [2], dtype: 'int32' },
        ],
      },
    ],
  };
  await store.put(`${dir}/weights.bin`, data, { contentType: 'application/octet-stream' });
  await store.put(`${dir}/model.json`, JSON.stringify(modelJson), { contentType: 'application/json' });
}

/** The graph's `features` computed with tfjs ops directly, for images already in its input form. */
export function graphModelFeatures(weights: GraphModelWeights, x: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => {
    const conv = tf.conv2d(x, tf.tensor4d(weights.kernel, [3, 3, 3, F]), 1, 'same');
    return tf.mean(tf.relu(tf.add(conv, tf.tensor1d(weights.bias))), [1, 2]) as tf.Tensor2D;
  });
}
