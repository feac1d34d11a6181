export { buildModel, isModelName, MODEL_NAMES } from './registry.js';
export type { Model, ModelSpec, ModelBuilder } from './model.js';
export { serializeModel, loadModel, describeModel, MODEL_FORMAT } from './serialize.js';
export type { ModelDescription } from './serialize.js';
