/**
 * What every model in the registry is: named variables plus a forward pass
 * from normalised NHWC images to logits.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ImageShape } from '../../schemas/manifest.js';
import { ParamRegistry, ParamScope } from '../nn/params.js';
import type { ForwardOptions } from '../nn/layers.js';

export interface ModelSpec {
  readonly inputShape: ImageShape;
  readonly numClasses: number;
  /** Keys the weight initialisation: same (name, spec, seed) = same initial weights on every backend. */
  readonly seed: number;
}

export interface Model {
  /** The registry name it was built from (`resnet20`). */
  readonly name: string;
  readonly spec: ModelSpec;
  readonly params: ParamRegistry;
  /** Logits `[batch, numClasses]` for images `[batch, h, w, c]`. */
  apply(x: tf.Tensor4D, options: ForwardOptions): tf.Tensor2D;
  /**
   * Inference-mode logits, for a model whose forward pass leaves
   * TensorFlow.js (a probe head on a frozen ONNX backbone) and so cannot be
   * synchronous; its `apply` throws. predictLogits uses it where present.
   */
  predict?(x: tf.Tensor4D): Promise<tf.Tensor2D>;
  dispose(): void;
}

export type Forward = (x: tf.Tensor4D, options: ForwardOptions) => tf.Tensor2D;

/** A family's builder: defines its layers in `scope` and returns the forward pass. */
export type ModelBuilder = (scope: ParamScope, spec: ModelSpec) => Forward;

export function assembleModel(name: string, spec: ModelSpec, builder: ModelBuilder): Model {
  const params = new ParamRegistry(spec.seed);
  let forward: Forward;
  try {
    forward = builder(new ParamScope(params), spec);
  } catch (error) {
    params.dispose();
    throw error;
  }
  const [h, w, c] = spec.inputShape;
  return {
    name,
    spec,
    params,
    apply(x, options) {
      if (x.shape[1] !== h || x.shape[2] !== w || x.shape[3] !== c) {
        throw new Error(`model ${name}: expected input [batch, ${h}, ${w}, ${c}], got [${x.shape.join(', ')}]`);
      }
      return forward(x, options);
    },
    dispose() {
      params.dispose();
    },
  };
}
