/** Softmax regression on raw pixels: the weakest teacher. */
import { Dense, flatten } from '../nn/layers.js';
import type { ModelBuilder } from './model.js';

export const buildLinear: ModelBuilder = (scope, { inputShape: [h, w, c], numClasses }) => {
  const fc = new Dense(scope.child('fc'), { inFeatures: h * w * c, outFeatures: numClasses });
  return (x) => fc.apply(flatten(x));
};
