/**
 * Plain convolutional networks. `cnn-small` (two conv+ReLU+pool stages, no
 * batch norm) is a weak teacher; `cnn` (two double-conv BN stages and a
 * 128-unit head) is the strong student used on Fashion-MNIST.
 */
import * as tf from '@tensorflow/tfjs';
import { Conv2d, ConvBn, Dense, flatten, maxPool2 } from '../nn/layers.js';
import type { ModelBuilder } from './model.js';

export const buildCnnSmall: ModelBuilder = (scope, { inputShape: [h, w, c], numClasses }) => {
  const conv1 = new Conv2d(scope.child('conv1'), { inChannels: c, outChannels: 16, kernel: 3, bias: true, activation: 'relu' });
  const conv2 = new Conv2d(scope.child('conv2'), { inChannels: 16, outChannels: 32, kernel: 3, bias: true, activation: 'relu' });
  const features = Math.floor(Math.floor(h / 2) / 2) * Math.floor(Math.floor(w / 2) / 2) * 32;
  const fc = new Dense(scope.child('fc'), { inFeatures: features, outFeatures: numClasses });
  return (x) => fc.apply(flatten(maxPool2(conv2.apply(maxPool2(conv1.apply(x))))));
};

export const buildCnn: ModelBuilder = (scope, { inputShape: [h, w, c], numClasses }) => {
  const convs = [
    new ConvBn(scope.child('conv1'), { inChannels: c, outChannels: 32, kernel: 3 }, true),
    new ConvBn(scope.child('conv2'), { inChannels: 32, outChannels: 32, kernel: 3 }, true),
    new ConvBn(scope.child('conv3'), { inChannels: 32, outChannels: 64, kernel: 3 }, true),
    new ConvBn(scope.child('conv4'), { inChannels: 64, outChannels: 64, kernel: 3 }, true),
  ] as const;
  const features = Math.floor(Math.floor(h / 2) / 2) * Math.floor(Math.floor(w / 2) / 2) * 64;
  const fc1 = new Dense(scope.child('fc1'), { inFeatures: features, outFeatures: 128, activation: 'relu' });
  const fc2 = new Dense(scope.child('fc2'), { inFeatures: 128, outFeatures: numClasses });
  return (x, options) => {
    let y: tf.Tensor4D = convs[1].apply(convs[0].apply(x, options), options);
    y = maxPool2(y);
    y = maxPool2(convs[3].apply(convs[2].apply(y, options), options));
    return fc2.apply(fc1.apply(flatten(y)));
  };
};
