/**
 * The pipeline's first stage: the run config as submitted (by `w2s run`, a
 * schedule, or any other client) is parsed and checked where the workers
 * are, before any work. The workflow continues with the parsed config, its
 * defaults filled in, and records its hash (the run's memo).
 */
import { isAbsolute } from 'node:path';
import { BadInputError } from '../core/errors.js';
import { hashJson } from '../core/hash.js';
import { parseRunConfig, type RunConfig, runIdProblem } from '../schemas/pipeline.js';
import type { StageRuntime } from './runtime.js';
import { markStorageRoot, storageRootProblem } from '../storage/root.js';
import { runConfigProblems, storeSourceProblems } from './validate.js';

export interface ValidateRunInput {
  readonly config: unknown;
  readonly runId?: string;
}

export interface ValidatedRun {
  readonly config: RunConfig;
  /** sha256 of the config's canonical JSON, defaults filled in: equal for equal runs however they were written. */
  readonly configHash: string;
}

export async function validateRun({ config, runId }: ValidateRunInput, runtime: StageRuntime): Promise<ValidatedRun> {
  try {
    // Before anything else: the run id names every object the run writes.
    const idProblem = runId === undefined ? undefined : runIdProblem(runId);
    if (idProblem) throw new BadInputError(`run id ${JSON.stringify(runId)}`, idProblem);
    // The same parse `w2s` commands make; a config they submitted passes it unchanged.
    const result = parseRunConfig(config, (line) => runtime.warn(`run config: ${line}`));
    if (!result.ok) throw new BadInputError('run config', result.problems);
    const parsed = result.config;
    const relative = relativeRootProblem(parsed.storage);
    // A relative root names no place yet; only an absolute one can be looked at.
    const root = relative ?? (await storageRootProblem(parsed.storage, runtime.deps.storeAt(parsed.storage)));
    const problems = [...(root ? [root] : []), ...runConfigProblems(parsed), ...(await storeSourceProblems(parsed, runtime.deps.storeAt))];
    if (problems.length) throw new BadInputError(`run config ${parsed.name}`, `\n  ${problems.join('\n  ')}`);
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
