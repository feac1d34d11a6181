/**
 * Scheduled retraining. Runs the whole pipeline again on the (re-ingested)
 * source: stages whose inputs did not change are cache hits, so only what is
 * new costs compute. The chosen student becomes the challenger; it replaces
 * the registry's champion only if it is better on the held-out split, and
 * the decision is recorded with its reason either way.
 */
import { ApplicationFailure, executeChild, workflowInfo } from '@temporalio/workflow';
import { planRun, type RunPlan } from '../schemas/plan.js';
import type { PipelineResult, PromotionDecision } from '../schemas/stages.js';
import { cpuStages, stageCall } from './activities.js';
import { startMemo, startSearchAttributes } from './run-metadata.js';
import { weakToStrong } from './weak-to-strong.js';

/**
 * The plan `w2s` made, or a config: a schedule keeps the config it was
 * created with, which is planned afresh at each firing (a plan's shape may
 * change with the release that reads it; a config's stays).
 */
export type RetrainInput = { readonly plan: RunPlan } | { readonly config: unknown };

export interface RetrainResult {
  readonly run: PipelineResult;
  readonly decision: PromotionDecision;
  /** The gain over the champion the challenger needed (`promotion.minGain`), so the decision can be read on its own. */
  readonly minGain: number;
}

export async function retrain(input: RetrainInput): Promise<RetrainResult> {
  const runId = workflowInfo().workflowId;
  const plan = 'plan' in input ? input.plan : planOf(input.config);
  const { config, promotion } = plan;
  // The child runs the plan: its validate stage checks it against the world without parsing it again.
  const run = await executeChild(weakToStrong, { workflowId: `${runId}-pipeline`, args: [{ plan }], memo: { ...startMemo(config) }, typedSearchAttributes: startSearchAttributes(config) });
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

/** The plan of a submitted config; a bad one fails the retraining (not its workflow task, which would retry forever). */
function planOf(config: unknown): RunPlan {
  const planned = planRun(config);
  if (!planned.ok) throw ApplicationFailure.nonRetryable(`${planned.refusal.where}: ${planned.refusal.problem}`, 'BadInputError');
  return planned.plan;
}
