/**
 * Starts a pipeline run. The run id is the workflow id and names the run's
 * objects and lineage in storage, so it is never reused: a second start with
 * the same id is refused instead of mixing two runs' records. The run carries
 * its config name, methods and storage root as search attributes and memo
 * (`w2s list`); a namespace without w2s's search attributes refuses it, with
 * the command that registers them.
 */
import { type Client, type WorkflowHandle, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { BadInputError } from '../core/errors.js';
import { type RunConfig, runIdProblem } from '../schemas/pipeline.js';
import { CPU_QUEUE, SEARCH_ATTRIBUTES } from '../schemas/names.js';
import { startMemo, startSearchAttributes } from '../workflows/run-metadata.js';

export type PipelineWorkflow = 'weakToStrong' | 'retrain';

export async function startPipeline(client: Client, config: RunConfig, runId: string, workflow: PipelineWorkflow = 'weakToStrong'): Promise<WorkflowHandle> {
  checkRunId(runId);
  try {
    return await client.workflow.start(workflow, {
      taskQueue: CPU_QUEUE,
      workflowId: runId,
      args: [{ config }],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      memo: { ...startMemo(config) },
      typedSearchAttributes: startSearchAttributes(config),
    });
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) throw new BadInputError(`run id ${runId}`, 'is taken by an earlier run; choose another --id (run ids name lineage and objects in storage)');
    const missing = missingSearchAttribute(error);
    if (missing) throw new Error(`the Temporal namespace ${client.options.namespace} has no search attribute ${missing}; register w2s's once with: ${registerCommand(client.options.namespace)}`, { cause: error });
    throw error;
  }
}

/** The search attribute the server says is not registered, if that is why it refused. */
function missingSearchAttribute(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 8; current = current.cause, depth++) {
    // The server's words vary with its version and visibility store.
    const match = /no mapping defined for search attribute ([A-Za-z0-9_]+)|search attribute ([A-Za-z0-9_]+) is not defined/i.exec(current.message);
    if (match) return match[1] ?? match[2];
  }
  return undefined;
}

/** The `temporal` CLI commands (one per type: it takes one `--type`) that register every w2s search attribute on `namespace`. */
export function registerCommand(namespace: string): string {
  const byType = new Map<string, string[]>();
  for (const { name, type } of Object.values(SEARCH_ATTRIBUTES)) byType.set(type, [...(byType.get(type) ?? []), name]);
  return [...byType].map(([type, names]) => `temporal operator search-attribute create --namespace ${namespace} ${names.map((n) => `--name ${n}`).join(' ')} --type ${type}`).join(' && ');
}

/** Refuses a run id that cannot name a run's folders, before anything is submitted. */
export function checkRunId(runId: string): void {
  const problem = runIdProblem(runId);
  if (problem) throw new BadInputError(`run id ${JSON.stringify(runId)}`, problem);
}
