/**
 * Starts the `pretrain` workflow: the backbones a run plan's students ask
 * for, learned alone. Refused before submitting when the plan has none.
 */
import { type Client, type WorkflowHandle, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { BadInputError } from '../core/errors.js';
import { CPU_QUEUE } from '../schemas/names.js';
import type { PlannedRun, RunPlan } from '../schemas/plan.js';
import { pretrain, type PretrainWorkflowResult } from '../workflows/pretrain.js';
import { submittedPlan } from './start-run.js';

/** Throws unless some student starts from a backbone the `pretrain` stage learns (`strong.init.pretrain` or a student's `init.pretrain`). */
export function checkAsksForPretraining(plan: RunPlan): void {
  if (!plan.backbones.sources.some((source) => source.kind === 'pretrain')) {
    throw new BadInputError(`run config ${plan.config.name}`, 'asks for no pretraining: set strong.init.pretrain (or a student\'s init.pretrain)');
  }
}

/** Submits the `pretrain` workflow under the plan's run id (refused before submitting when the plan asks for no pretraining or the id is taken). */
export async function startPretrain(client: Client, plan: PlannedRun): Promise<WorkflowHandle<typeof pretrain>> {
  checkAsksForPretraining(plan);
  try {
    return await client.workflow.start(pretrain, { taskQueue: CPU_QUEUE, workflowId: plan.runId, args: [{ plan: submittedPlan(plan) }], workflowIdReusePolicy: 'REJECT_DUPLICATE' });
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) throw new BadInputError(`run id ${plan.runId}`, 'is taken by an earlier run; choose another --id');
    throw error;
  }
}

export async function runPretrain(client: Client, plan: PlannedRun): Promise<PretrainWorkflowResult> {
  return (await startPretrain(client, plan)).result();
}
