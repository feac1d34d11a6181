/**
 * The model names a run config may use. ml/models/registry.ts has one
 * builder for each (the compiler holds the two together), and clients check
 * configs against this list without loading TensorFlow.js.
 */
export const MODEL_NAMES = ['linear', 'mlp', 'cnn-small', 'cnn', 'resnet20', 'resnet32', 'resnet56', 'vgg8', 'vgg13', 'vit-tiny'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export function isModelName(name: string): name is ModelName {
  return (MODEL_NAMES as readonly string[]).includes(name);
}
