/**
 * Starts the `pretrain` workflow: the backbones a run config's students ask
 * for, learned alone. Refused before submitting when the config asks for none.
 */
import { type Client, type WorkflowHandle, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { BadInputError } from '../core/errors.js';
import { CPU_QUEUE } from '../schemas/names.js';
import { type RunConfig, studentInit } from '../schemas/pipeline.js';
import type { PretrainWorkflowResult } from '../workflows/pretrain.js';
import { checkRunId, submittedConfig } from './start-run.js';

/** Throws unless some student starts from a backbone the `pretrain` stage learns (`strong.init.pretrain` or a student's `init.pretrain`). */
export function checkAsksForPretraining(config: RunConfig): void {
  if (!config.students.some((student) => studentInit(config, student)?.pretrain)) {
    throw new BadInputError(`run config ${config.name}`, 'asks for no pretraining: set strong.init.pretrain (or a student\'s init.pretrain)');
  }
}

/** Submits the `pretrain` workflow under `runId` (refused before submitting when the config asks for no pretraining or the id is taken). */
export async function startPretrain(client: Client, config: RunConfig, runId: string): Promise<WorkflowHandle> {
  checkRunId(runId);
  checkAsksForPretraining(config);
  try {
    return await client.workflow.start('pretrain', { taskQueue: CPU_QUEUE, workflowId: runId, args: [{ config: submittedConfig(config) }], workflowIdReusePolicy: 'REJECT_DUPLICATE' });
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) throw new BadInputError(`run id ${runId}`, 'is taken by an earlier run; choose another --id');
    throw error;
  }
}

export async function runPretrain(client: Client, config: RunConfig, runId: string): Promise<PretrainWorkflowResult> {
  return (await (await startPretrain(client, config, runId)).result()) as PretrainWorkflowResult;
}
