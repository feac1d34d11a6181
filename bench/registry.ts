/**
 * Every benchmark case, in report order. Adding one is a file in cases/ and
 * a line here; a case that needs a running server declares it in `requires`
 * (types.ts, services.ts) and is skipped, with a note, when that server is
 * absent. peak-rss stays last: it reports the whole run.
 */
import { checkpointCase } from './cases/checkpoint.js';
import { forwardCase } from './cases/forward.js';
import { headroomCase } from './cases/headroom.js';
import { liveTensorsCase, peakMemoryCase } from './cases/memory.js';
import { orchestrationCase } from './cases/orchestration.js';
import { parallelForwardCase, parallelTrainCase } from './cases/parallel.js';
import { shardReadCase } from './cases/shard-read.js';
import { trainStepCase } from './cases/train-step.js';
import type { BenchCase } from './types.js';

export const CASES: readonly BenchCase[] = [
  trainStepCase('cnn'),
  trainStepCase('resnet20'),
  headroomCase,
  parallelTrainCase('cnn'),
  parallelTrainCase('resnet20'),
  forwardCase('cnn'),
  forwardCase('resnet20'),
  parallelForwardCase('cnn'),
  parallelForwardCase('resnet20'),
  shardReadCase,
  checkpointCase('cnn'),
  checkpointCase('resnet20'),
  liveTensorsCase,
  // Starts its own Temporal dev server (the embedded default's), so it requires none.
  orchestrationCase,
  peakMemoryCase,
];
