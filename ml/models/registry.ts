/**
 * Models by name. Adding a family is one builder file and one line here.
 * Weak teachers: linear, mlp, cnn-small. Strong students: cnn, the CIFAR
 * ResNets, the CIFAR VGGs with batch norm, a small Vision Transformer.
 */
import { BadInputError } from '../../core/errors.js';
import { isModelName, MODEL_NAMES, type ModelName } from '../../schemas/models.js';
import { buildCnn, buildCnnSmall } from './cnn.js';
import { buildLinear } from './linear.js';
import { buildMlp } from './mlp.js';
import { assembleModel, type Model, type ModelBuilder, type ModelSpec } from './model.js';
import { cifarResnet } from './resnet.js';
import { VGG_BLOCKS, cifarVgg } from './vgg.js';
import { VIT_TINY, vit } from './vit.js';

const builders: Readonly<Record<ModelName, ModelBuilder>> = {
  linear: buildLinear,
  mlp: buildMlp,
  'cnn-small': buildCnnSmall,
  cnn: buildCnn,
  resnet20: cifarResnet(20),
  resnet32: cifarResnet(32),
  resnet56: cifarResnet(56),
  vgg8: cifarVgg(VGG_BLOCKS.vgg8),
  vgg13: cifarVgg(VGG_BLOCKS.vgg13),
  'vit-tiny': vit(VIT_TINY),
};

export { isModelName, MODEL_NAMES };

/** Builds a registered model with freshly initialised weights. */
export function buildModel(name: string, spec: ModelSpec): Model {
  if (!isModelName(name)) throw new BadInputError('model', `unknown model ${JSON.stringify(name)}; known: ${MODEL_NAMES.join(', ')}`);
  const [h, w, c] = spec.inputShape;
  for (const [what, value] of [['height', h], ['width', w], ['channels', c], ['numClasses', spec.numClasses]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new BadInputError(`model ${name}`, `${what} must be a positive integer, got ${value}`);
  }
  return assembleModel(name, spec, builders[name]);
}
