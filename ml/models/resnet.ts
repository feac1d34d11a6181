/**
 * The CIFAR ResNets of He et al. (2016) in the form the distillation
 * literature uses (mdistiller, RepDistiller): a 3x3 stem of 16 channels, three
 * stages of n basic blocks at 16/32/64 channels (stride 2 entering stages 2
 * and 3), a 1x1 conv + BN shortcut where the shape changes, global average
 * pooling and a linear head. Depth = 6n + 2.
 */
import * as tf from '@tensorflow/tfjs';
import { ConvBn, Dense, globalAvgPool, type ForwardOptions } from '../nn/layers.js';
import type { ParamScope } from '../nn/params.js';
import type { ModelBuilder } from './model.js';

class BasicBlock {
  private readonly conv1: ConvBn;
  private readonly conv2: ConvBn;
  private readonly shortcut: ConvBn | undefined;

  constructor(scope: ParamScope, inChannels: number, channels: number, stride: number) {
    this.conv1 = new ConvBn(scope.child('conv1'), { inChannels, outChannels: channels, kernel: 3, stride }, true);
    this.conv2 = new ConvBn(scope.child('conv2'), { inChannels: channels, outChannels: channels, kernel: 3 }, false);
    const reshapes = stride !== 1 || inChannels !== channels;
    this.shortcut = reshapes ? new ConvBn(scope.child('shortcut'), { inChannels, outChannels: channels, kernel: 1, stride, padding: 0 }, false) : undefined;
  }

  apply(x: tf.Tensor4D, options: ForwardOptions): tf.Tensor4D {
    const residual = this.shortcut ? this.shortcut.apply(x, options) : x;
    return tf.relu(tf.add(this.conv2.apply(this.conv1.apply(x, options), options), residual)) as tf.Tensor4D;
  }
}

const STAGE_CHANNELS = [16, 32, 64] as const;

export function cifarResnet(depth: number): ModelBuilder {
  if ((depth - 2) % 6 !== 0) throw new Error(`resnet depth must be 6n+2 (20, 32, 56, ...), got ${depth}`);
  const blocksPerStage = (depth - 2) / 6;
  return (scope, { inputShape: [, , c], numClasses }) => {
    const stem = new ConvBn(scope.child('stem'), { inChannels: c, outChannels: STAGE_CHANNELS[0], kernel: 3 }, true);
    const blocks: BasicBlock[] = [];
    let inChannels: number = STAGE_CHANNELS[0];
    STAGE_CHANNELS.forEach((channels, stage) => {
      for (let i = 0; i < blocksPerStage; i++) {
        const stride = stage > 0 && i === 0 ? 2 : 1;
        blocks.push(new BasicBlock(scope.child(`stage${stage + 1}`).child(`block${i + 1}`), inChannels, channels, stride));
        inChannels = channels;
      }
    });
    const fc = new Dense(scope.child('fc'), { inFeatures: inChannels, outFeatures: numClasses });
    return (x, options) => {
      let y = stem.apply(x, options);
      for (const block of blocks) y = block.apply(y, options);
      return fc.apply(globalAvgPool(y));
    };
  };
}
