/** The pipeline's first stage: the run config checked where the workers are, before any work. */
import { ApplicationFailure } from '@temporalio/common';
import type { RunConfig } from '../schemas/pipeline.js';
import { runConfigProblems } from './validate.js';

export async function validateRun({ config }: { readonly config: RunConfig }): Promise<void> {
  const problems = runConfigProblems(config);
  if (problems.length) {
    throw ApplicationFailure.nonRetryable(`run config ${config.name}:\n  ${problems.join('\n  ')}`, 'BadInputError');
  }
}
