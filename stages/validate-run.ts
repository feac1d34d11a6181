/**
 * The pipeline's first stage, before any work, where the workers are: a run
 * `w2s` planned (schemas/plan.ts) is checked against the world only (its
 * storage root, its data, the models it imports); a config another client
 * submitted is planned first, the same parse and rules `w2s` applies. The
 * workflow continues with the parsed config, its defaults filled in, and
 * records its hash (the run's memo).
 */
import { isAbsolute } from 'node:path';
import { hashJson } from '../core/hash.js';
import type { RunConfig } from '../schemas/pipeline.js';
import { BadInputError } from '../core/errors.js';
import { draftPlan, type DraftPlan, type RunPlan } from '../schemas/plan.js';
import type { StageRuntime } from './runtime.js';
import { markStorageRoot, storageRootProblem } from '../storage/root.js';
import { refuseProblems, runWorldProblems } from '../storage/run-checks.js';
import { storeSourceProblems } from './validate.js';

/** The plan `w2s` made, or a config as another client wrote it. */
export type ValidateRunInput = ({ readonly plan: RunPlan } | { readonly config: unknown }) & { readonly runId?: string };

export interface ValidatedRun {
  readonly config: RunConfig;
  /** sha256 of the config's canonical JSON, defaults filled in: equal for equal runs however they were written. */
  readonly configHash: string;
}

export async function validateRun(input: ValidateRunInput, runtime: StageRuntime): Promise<ValidatedRun> {
  try {
    // A plan was made by `w2s` (parsed, its rules applied, its id checked); anything else is planned here, the run id first.
    const { plan, problems: rules } = 'plan' in input ? { plan: input.plan, problems: [] } : drafted(input.config, input.runId, runtime);
    const parsed = plan.config;
    const relative = relativeRootProblem(parsed.storage);
    // A relative root names no place yet; only an absolute one can be looked at.
    const root = relative ?? (await storageRootProblem(parsed.storage, runtime.deps.storeAt(parsed.storage)));
    refuseProblems(parsed, [...(root ? [root] : []), ...rules, ...runWorldProblems(parsed), ...(await storeSourceProblems(parsed, runtime.deps.storeAt))]);
    // Only an accepted run marks its root: a refused one writes nothing.
    await markStorageRoot(runtime.deps.storeAt(parsed.storage));
    return { config: parsed, configHash: hashJson(parsed) };
  } catch (error) {
    throw runtime.failure(error);
  }
}

/**
 * A relative root would be resolved in each worker's own folder, splitting
 * one run across several; `w2s run`, `sweep` and `schedule` resolve it when
 * they submit, so only another client can send one.
 */
function relativeRootProblem(storage: string): string | undefined {
  if (/^(file|gs):\/\//.test(storage) || isAbsolute(storage)) return undefined;
  return `storage: "${storage}" is a relative folder, which each worker would resolve in its own folder; submit an absolute path or URI (w2s run resolves it where it is run)`;
}

/** The plan of a config another client submitted, with its rules' problems; a config that does not parse, or a bad run id, throws. */
function drafted(config: unknown, runId: string | undefined, runtime: StageRuntime): DraftPlan {
  const draft = draftPlan(config, { ...(runId !== undefined ? { runId } : {}), warn: (line) => runtime.warn(`run config: ${line}`) });
  if (!draft.ok) throw new BadInputError(draft.refusal.where, draft.refusal.problem);
  return draft;
}
