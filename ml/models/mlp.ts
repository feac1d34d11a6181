/** One hidden ReLU layer on raw pixels: a weak teacher a little above softmax regression. */
import { Dense, flatten } from '../nn/layers.js';
import type { ModelBuilder } from './model.js';

const HIDDEN = 256;

export const buildMlp: ModelBuilder = (scope, { inputShape: [h, w, c], numClasses }) => {
  const hidden = new Dense(scope.child('fc1'), { inFeatures: h * w * c, outFeatures: HIDDEN, activation: 'relu' });
  const out = new Dense(scope.child('fc2'), { inFeatures: HIDDEN, outFeatures: numClasses });
  return (x) => out.apply(hidden.apply(flatten(x)));
};
