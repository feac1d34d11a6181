/**
 * The pipeline's first stage: the run config as submitted (by `w2s run`, a
 * schedule, or any other client) is parsed and checked where the workers
 * are, before any work. The workflow continues with the parsed config, its
 * defaults filled in, and records its hash (the run's memo).
 */
import { ApplicationFailure } from '@temporalio/common';
import { hashJson } from '../core/hash.js';
import { formatZodIssues } from '../schemas/issues.js';
import { type RunConfig, RunConfigSchema, runIdProblem } from '../schemas/pipeline.js';
import { storeAt } from '../stages/stores.js';
import { runConfigProblems, storeSourceProblems } from '../stages/validate.js';

export interface ValidatedRun {
  readonly config: RunConfig;
  /** sha256 of the config's canonical JSON, defaults filled in: equal for equal runs however they were written. */
  readonly configHash: string;
}

export async function validateRun({ config, runId }: { readonly config: unknown; readonly runId?: string }): Promise<ValidatedRun> {
  // Before anything else: the run id names every object the run writes.
  const idProblem = runId === undefined ? undefined : runIdProblem(runId);
  if (idProblem) throw ApplicationFailure.nonRetryable(`run id ${JSON.stringify(runId)}: ${idProblem}`, 'BadInputError');
  const parsed = RunConfigSchema.safeParse(config);
  if (!parsed.success) throw ApplicationFailure.nonRetryable(formatZodIssues('run config', parsed.error), 'BadInputError');
  const problems = [...runConfigProblems(parsed.data), ...(await storeSourceProblems(parsed.data, storeAt))];
  if (problems.length) {
    throw ApplicationFailure.nonRetryable(`run config ${parsed.data.name}:\n  ${problems.join('\n  ')}`, 'BadInputError');
  }
  return { config: parsed.data, configHash: hashJson(parsed.data) };
}
