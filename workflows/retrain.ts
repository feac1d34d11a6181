/**
 * Scheduled retraining. Runs the whole pipeline again on the (re-ingested)
 * source: stages whose inputs did not change are cache hits, so only what is
 * new costs compute. The chosen student becomes the challenger; it replaces
 * the registry's champion only if it is better on the held-out split, and
 * the decision is recorded with its reason either way.
 */
import { executeChild, workflowInfo } from '@temporalio/workflow';
import type { RunConfig } from '../schemas/pipeline.js';
import type { PipelineResult, PromotionDecision } from '../schemas/stages.js';
import { defaultPromotion } from '../schemas/promotion.js';
import { cpuStages, stageCall } from './activities.js';
import { startMemo, startSearchAttributes } from './run-metadata.js';
import { weakToStrong } from './weak-to-strong.js';

export interface RetrainInput {
  readonly config: RunConfig;
}

export interface RetrainResult {
  readonly run: PipelineResult;
  readonly decision: PromotionDecision;
  /** The gain over the champion the challenger needed (`promotion.minGain`), so the decision can be read on its own. */
  readonly minGain: number;
}

export async function retrain({ config }: RetrainInput): Promise<RetrainResult> {
  const runId = workflowInfo().workflowId;
  const promotion = config.promotion ?? defaultPromotion(config);
  const run = await executeChild(weakToStrong, { workflowId: `${runId}-pipeline`, args: [{ config }], memo: { ...startMemo(config) }, typedSearchAttributes: startSearchAttributes(config) });
  const challenger = run.rows.find((row) => row.name === promotion.student);
  if (!challenger) throw new Error(`promotion.student ${promotion.student} is not a student of this run`);
  const decision = await cpuStages(config.execution).promote.executeWithOptions(stageCall('promote', `promote ${challenger.name} if it beats the champion of ${promotion.registry}`), [{
    runId: run.runId,
    storage: config.storage,
    stage: 'promote',
    registry: promotion.registry,
    split: promotion.split,
    minGain: promotion.minGain,
    manifest: run.manifest,
    shards: [...(run.splits[promotion.split] ?? [])],
    challenger: { name: challenger.name, model: challenger.model },
  }]);
  return { run, decision, minGain: promotion.minGain };
}
