/**
 * `vit-tiny`: a small Vision Transformer (Dosovitskiy et al., 2021) sized for
 * 28x28 and 32x32 images. Non-overlapping 4x4 patches are embedded by a
 * stride-4 convolution (7x7 = 49 tokens on Fashion-MNIST, 8x8 = 64 on
 * CIFAR), a learned class token and position embeddings are added, four
 * pre-norm blocks of 4-head self-attention (width 64, MLP 128, GELU) follow,
 * and a final layer norm of the class token feeds the linear head.
 *
 * Images whose sides are not multiples of the patch size lose the remainder
 * rows and columns, as a VALID convolution does.
 */
import * as tf from '@tensorflow/tfjs';
import { zeros } from '../nn/init.js';
import { Conv2d, Dense } from '../nn/layers.js';
import { LayerNorm, TRANSFORMER_INIT, TransformerBlock } from '../nn/transformer.js';
import type { ModelBuilder } from './model.js';

export interface VitOptions {
  readonly patch: number;
  readonly dim: number;
  readonly depth: number;
  readonly heads: number;
  readonly hidden: number;
}

export const VIT_TINY: VitOptions = { patch: 4, dim: 64, depth: 4, heads: 4, hidden: 128 };

export function vit({ patch, dim, depth, heads, hidden }: VitOptions): ModelBuilder {
  return (scope, { inputShape: [h, w, c], numClasses }) => {
    const rows = Math.floor(h / patch);
    const cols = Math.floor(w / patch);
    if (rows < 1 || cols < 1) throw new Error(`vit: ${h}x${w} images are smaller than one ${patch}x${patch} patch`);
    const tokens = rows * cols + 1;
    const embed = new Conv2d(scope.child('patch_embed'), { inChannels: c, outChannels: dim, kernel: patch, stride: patch, padding: 0, bias: true, init: TRANSFORMER_INIT });
    const classToken = scope.param('cls_token', [1, 1, dim], TRANSFORMER_INIT);
    const position = scope.param('pos_embed', [1, tokens, dim], TRANSFORMER_INIT);
    const blocks = Array.from({ length: depth }, (_, i) => new TransformerBlock(scope.child(`block${i + 1}`), { dim, heads, hidden }));
    const norm = new LayerNorm(scope.child('norm'), dim);
    const head = new Dense(scope.child('head'), { inFeatures: dim, outFeatures: numClasses, init: TRANSFORMER_INIT, biasInit: zeros });
    return (x) => {
      const batch = x.shape[0];
      const cropped = h % patch === 0 && w % patch === 0 ? x : tf.slice(x, [0, 0, 0, 0], [batch, rows * patch, cols * patch, c]);
      const patches = tf.reshape(embed.apply(cropped), [batch, rows * cols, dim]);
      const cls = tf.tile(classToken, [batch, 1, 1]);
      let y = tf.add(tf.concat([cls, patches], 1), position) as tf.Tensor3D;
      for (const block of blocks) y = block.apply(y);
      const pooled = tf.reshape(tf.slice(norm.apply(y), [0, 0, 0], [batch, 1, dim]), [batch, dim]) as tf.Tensor2D;
      return head.apply(pooled);
    };
  };
}
