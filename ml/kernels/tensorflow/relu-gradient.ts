/**
 * ReLU's gradient on the native backend as libtensorflow's ReluGrad, one op.
 * tfjs computes it as dy * step(x), and tfjs-node builds `step` from five
 * ops (IsNan, Greater, two fills and a Select) over the activation: in a
 * resnet20 training step those were 18% of the time. Other backends keep
 * tfjs's own gradient, untouched, so their results do not change by a bit.
 */
import * as tf from '@tensorflow/tfjs';
import { nativeOps } from './native-ops.js';

let installed = false;

export function registerNativeReluGradient(): void {
  if (installed) return;
  const shipped = tf.getGradient('Relu');
  if (!shipped) throw new Error('tfjs has no gradient registered for Relu');
  tf.registerGradient({
    kernelName: 'Relu',
    inputsToSave: ['x'],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      const ops = nativeOps();
      if (!ops) return shipped.gradFunc(dy, saved, attrs);
      const gradient = Array.isArray(dy) ? dy[0]! : dy;
      return { x: () => ops.run('ReluGrad', [ops.float32('T')], [gradient, saved[0]!], 1)[0]! };
    },
  });
  installed = true;
}
