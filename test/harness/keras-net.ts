/**
 * A small functional conv net over 16x16 RGB images with a softmax
 * classifier, shaped as a Keras application is (conv, batch norm, pooling, a
 * `features` layer before the `classifier`): the model the imported-backbone
 * tests build, save and import. Weights are seeded, so equal seeds give
 * equal files.
 */
import * as tf from '@tensorflow/tfjs';

export function buildKerasNet({ seed, classes }: { readonly seed: number; readonly classes: number }): tf.LayersModel {
  const init = (offset: number) => tf.initializers.glorotUniform({ seed: seed + offset });
  const input = tf.input({ shape: [16, 16, 3], name: 'image' });
  let y = tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(1), name: 'conv1' }).apply(input) as tf.SymbolicTensor;
  y = tf.layers.batchNormalization({ name: 'bn1' }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.maxPooling2d({ poolSize: 2, name: 'pool1' }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(2), name: 'conv2' }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.globalAveragePooling2d({ name: 'features' }).apply(y) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: classes, activation: 'softmax', kernelInitializer: init(3), name: 'classifier' }).apply(y) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: 'keras_net' });
}
