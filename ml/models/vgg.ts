/**
 * The CIFAR VGGs with batch norm from the distillation literature
 * (mdistiller's vgg8_bn / vgg13_bn): five blocks of 3x3 conv (with bias) +
 * BN + ReLU, 2x2 max pooling after the first three, global average pooling
 * and one linear layer on 512 features.
 */
import * as tf from '@tensorflow/tfjs';
import { ConvBn, Dense, globalAvgPool, maxPool2 } from '../nn/layers.js';
import { normal, zeros } from '../nn/init.js';
import type { ModelBuilder } from './model.js';

export const VGG_BLOCKS = {
  vgg8: [[64], [128], [256], [512], [512]],
  vgg13: [
    [64, 64],
    [128, 128],
    [256, 256],
    [512, 512],
    [512, 512],
  ],
} as const satisfies Record<string, readonly (readonly number[])[]>;

const POOLED_BLOCKS = 3;

export function cifarVgg(blocks: readonly (readonly number[])[]): ModelBuilder {
  return (scope, { inputShape: [, , c], numClasses }) => {
    const stages: ConvBn[][] = [];
    let inChannels = c;
    blocks.forEach((widths, b) => {
      stages.push(
        widths.map((outChannels, i) => {
          const unit = new ConvBn(scope.child(`block${b + 1}`).child(`conv${i + 1}`), { inChannels, outChannels, kernel: 3, bias: true }, true);
          inChannels = outChannels;
          return unit;
        }),
      );
    });
    const fc = new Dense(scope.child('fc'), { inFeatures: inChannels, outFeatures: numClasses, init: normal(0.01), biasInit: zeros });
    return (x, options) => {
      let y: tf.Tensor4D = x;
      stages.forEach((units, b) => {
        for (const unit of units) y = unit.apply(y, options);
        if (b < POOLED_BLOCKS) y = maxPool2(y);
      });
      return fc.apply(globalAvgPool(y));
    };
  };
}
