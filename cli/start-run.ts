/**
 * Starts a pipeline run. The run id is the workflow id and names the run's
 * objects and lineage in storage, so it is never reused: a second start with
 * the same id is refused instead of mixing two runs' records. The storage
 * root is resolved here, where the user gave it, so every worker writes to
 * the same place whatever folder it runs in.
 */
import { type Client, type WorkflowHandle, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { BadInputError } from '../core/errors.js';
import { type RunConfig, runIdProblem } from '../schemas/pipeline.js';
import { CPU_QUEUE } from '../schemas/names.js';
import { absoluteStorageUri } from '../storage/uri.js';

export type PipelineWorkflow = 'weakToStrong' | 'retrain';

export async function startPipeline(client: Client, config: RunConfig, runId: string, workflow: PipelineWorkflow = 'weakToStrong'): Promise<WorkflowHandle> {
  checkRunId(runId);
  try {
    return await client.workflow.start(workflow, { taskQueue: CPU_QUEUE, workflowId: runId, args: [{ config: submittedConfig(config) }], workflowIdReusePolicy: 'REJECT_DUPLICATE' });
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) throw new BadInputError(`run id ${runId}`, 'is taken by an earlier run; choose another --id (run ids name lineage and objects in storage)');
    throw error;
  }
}

/** Refuses a run id that cannot name a run's folders, before anything is submitted. */
export function checkRunId(runId: string): void {
  const problem = runIdProblem(runId);
  if (problem) throw new BadInputError(`run id ${JSON.stringify(runId)}`, problem);
}

/**
 * The config as it travels in a workflow input: its storage root an absolute
 * URI (`.w2s` becomes `file:///<this folder>/.w2s`), resolved once, here, on
 * the submitting machine.
 */
export function submittedConfig(config: RunConfig, cwd: string = process.cwd()): RunConfig {
  return { ...config, storage: absoluteStorageUri(config.storage, cwd) };
}
