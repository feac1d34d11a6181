/**
 * Every benchmark case, in report order. Adding one is a file in cases/ and
 * a line here; a case that needs a running server declares it in `requires`
 * (types.ts) and is skipped, with a note, when that server is absent.
 */
import { forwardCase } from './cases/forward.js';
import { parallelForwardCase, parallelTrainCase } from './cases/parallel.js';
import { trainStepCase } from './cases/train-step.js';
import type { BenchCase } from './types.js';

export const CASES: readonly BenchCase[] = [
  trainStepCase('cnn'),
  trainStepCase('resnet20'),
  parallelTrainCase('cnn'),
  parallelTrainCase('resnet20'),
  forwardCase('cnn'),
  forwardCase('resnet20'),
  parallelForwardCase('cnn'),
  parallelForwardCase('resnet20'),
];
