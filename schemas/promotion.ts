import { lossTraits } from './losses.js';
import type { PromotionConfig, RunConfig } from './pipeline.js';
import { studentName } from './pipeline.js';

/**
 * Without a `promotion` section, retraining promotes into a registry named
 * after the run, with the first AdaptConf student (else the first non-ceiling
 * one) as challenger, judged on the test split.
 */
export function defaultPromotion(config: RunConfig): PromotionConfig {
  const candidates = config.students.filter((s) => !lossTraits(s.method).groundTruthOnly);
  const chosen = candidates.find((s) => s.method === 'adaptconf') ?? candidates[0] ?? config.students[0];
  if (!chosen) throw new Error('a run needs at least one student');
  return { registry: config.name, student: studentName(chosen), split: 'test', minGain: 0 };
}
