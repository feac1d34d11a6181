/**
 * `w2s pretrain`: the backbones of a run config alone. Validates the config,
 * ingests its dataset and runs every `pretrain` stage its students ask for
 * (cached like in a full run, so a later `w2s run` of the same config finds
 * them), without a teacher or students.
 */
import { workflowInfo } from '@temporalio/workflow';
import { ExecutionConfigSchema } from '../schemas/pipeline.js';
import { derivePlan, type RunPlan, STAGE } from '../schemas/plan.js';
import type { ObjectRef } from '../schemas/stages.js';
import { cpuStages, stageCall, trainingStages } from './activities.js';
import { provideBackbones } from './backbones.js';

/** The plan `w2s pretrain` made, or a config as another client wrote it (the validate stage plans it). */
export type PretrainWorkflowInput = { readonly plan: RunPlan } | { readonly config: unknown };

export interface PretrainedBackbone {
  readonly stage: string;
  /** The zoo model it is a backbone of. */
  readonly model: string;
  readonly backbone: ObjectRef;
  readonly cached: boolean;
  readonly steps: number;
  readonly finalLoss: number;
}

export interface PretrainWorkflowResult {
  readonly runId: string;
  readonly datasetId: string;
  readonly backbones: readonly PretrainedBackbone[];
}

export async function pretrain(input: PretrainWorkflowInput): Promise<PretrainWorkflowResult> {
  const runId = workflowInfo().workflowId;
  const submitted = 'plan' in input ? { plan: input.plan } : { config: input.config };
  const validated = await cpuStages(ExecutionConfigSchema.parse({})).validateRun.executeWithOptions(stageCall(STAGE.validate, 'validate the run config'), [{ ...submitted, runId }]);
  const plan = derivePlan(validated.config, runId);
  const config = plan.config;
  const cpu = cpuStages(config.execution);
  const training = trainingStages(config.execution);
  const data = await cpu.ingest.executeWithOptions(stageCall('ingest', `ingest ${config.dataset.source}`), [{ runId, storage: config.storage, stage: STAGE.ingest, dataset: config.dataset, seed: config.seed }]);
  // Only what is learned here: a backbone named by `pretrained` is already in storage.
  const sources = plan.backbones.sources.filter((s) => s.kind === 'pretrain');
  const provided = await provideBackbones(config, runId, data, sources, { cpu, training, track: (_stage, fn) => fn() });
  const backbones = [...provided.values()].flatMap(({ source, model, cached, pretrained }) =>
    source.kind === 'pretrain' && pretrained ? [{ stage: source.stage, model: source.model, backbone: model, cached, steps: pretrained.steps, finalLoss: pretrained.finalLoss }] : [],
  );
  return { runId, datasetId: data.datasetId, backbones };
}
