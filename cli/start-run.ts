/**
 * Starts a pipeline run. The run id is the workflow id and names the run's
 * objects and lineage in storage, so it is never reused: a second start with
 * the same id is refused instead of mixing two runs' records. The storage
 * root is resolved here, where the user gave it, so every worker writes to
 * the same place whatever folder it runs in. The run carries
 * its config name, methods and storage root as search attributes and memo
 * (`w2s list`); a namespace without w2s's search attributes refuses it, with
 * the command that registers them.
 */
import { type Client, type WorkflowHandle, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
// A CommonJS module: Node's ES module loader sees its default export only.
import proto from '@temporalio/proto';
import { BadInputError } from '../core/errors.js';
import type { RunConfig } from '../schemas/pipeline.js';
import { CPU_QUEUE, SEARCH_ATTRIBUTES } from '../schemas/names.js';
import { type PlannedRun, type RunPlan, runIdRefusal } from '../schemas/plan.js';
import { retrain } from '../workflows/retrain.js';
import { startMemo, startSearchAttributes } from '../workflows/run-metadata.js';
import { weakToStrong } from '../workflows/weak-to-strong.js';
import { absoluteStorageUri } from '../storage/uri.js';

const enums = proto.temporal.api.enums.v1;

export type PipelineWorkflow = 'weakToStrong' | 'retrain';

/** Starts the plan's run under its run id (the workflow id): the pipeline, or a retraining that promotes its challenger. */
export async function startPipeline(client: Client, plan: PlannedRun, workflow: PipelineWorkflow = 'weakToStrong'): Promise<WorkflowHandle<typeof weakToStrong> | WorkflowHandle<typeof retrain>> {
  const submitted = submittedPlan(plan);
  await checkSearchAttributes(client);
  const options = {
    taskQueue: CPU_QUEUE,
    workflowId: plan.runId,
    args: [{ plan: submitted }] as [{ plan: RunPlan }],
    workflowIdReusePolicy: 'REJECT_DUPLICATE' as const,
    memo: { ...startMemo(submitted.config) },
    typedSearchAttributes: startSearchAttributes(submitted.config),
  };
  const runId = plan.runId;
  try {
    return workflow === 'retrain' ? await client.workflow.start(retrain, options) : await client.workflow.start(weakToStrong, options);
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

/**
 * The `temporal` CLI commands that register every w2s search attribute on
 * `namespace`: one per attribute, since `create` takes one `--type` and,
 * given several `--name`s, registers only the first.
 */
export function registerCommand(namespace: string): string {
  return Object.values(SEARCH_ATTRIBUTES)
    .map(({ name, type }) => `temporal operator search-attribute create --namespace ${namespace} --name ${name} --type ${type}`)
    .join(' && ');
}

/** The server's indexed value type for each search attribute type the `temporal` CLI spells in CamelCase. */
const INDEXED_TYPES = {
  Keyword: enums.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  KeywordList: enums.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
  Double: enums.IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
} as const;

/**
 * Refuses to start a run on a namespace that lacks any search attribute the
 * run will set, then or later (the dataset id after ingest, the best PGR after
 * evaluation): the server checks only those given at start, and a later
 * upsert of a missing one fails every workflow task, leaving the run stuck.
 * A server that will not list them (a role without that permission) is not
 * checked here; the start still checks what it can.
 */
export async function checkSearchAttributes(client: Client): Promise<void> {
  const namespace = client.options.namespace;
  let registered: Record<string, temporal.api.enums.v1.IndexedValueType>;
  try {
    const listed = await client.connection.operatorService.listSearchAttributes({ namespace });
    registered = { ...(listed.systemAttributes ?? {}), ...(listed.customAttributes ?? {}) };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    // PERMISSION_DENIED (7), UNIMPLEMENTED (12): not this client's to know; the start still checks the first ones.
    if (code === 7 || code === 12) return;
    throw error;
  }
  const wrong = Object.values(SEARCH_ATTRIBUTES).filter(({ name, type }) => {
    return registered[name] !== INDEXED_TYPES[type];
  });
  if (wrong.length === 0) return;
  // Like the server's own refusal: the namespace, not the run, is what is wrong.
  throw new Error(`the Temporal namespace ${namespace} has no search attribute ${wrong.map(({ name, type }) => `${name} (${type})`).join(', ')}; register w2s's once with: ${registerCommand(namespace)}`);
}

/** Refuses a run id that cannot name a run's folders, before anything is submitted. */
export function checkRunId(runId: string): void {
  const refusal = runIdRefusal(runId);
  if (refusal) throw new BadInputError(refusal.where, refusal.problem);
}

/**
 * The config as it travels in a workflow input: its storage root an absolute
 * URI (`.w2s` becomes `file:///<this folder>/.w2s`), resolved once, here, on
 * the submitting machine.
 */
export function submittedConfig(config: RunConfig, cwd: string = process.cwd()): RunConfig {
  return { ...config, storage: absoluteStorageUri(config.storage, cwd) };
}

/** The plan as it travels in a workflow input: its config's storage root resolved here (`submittedConfig`). */
export function submittedPlan<T extends RunPlan>(plan: T, cwd: string = process.cwd()): T {
  return { ...plan, config: submittedConfig(plan.config, cwd) };
}
