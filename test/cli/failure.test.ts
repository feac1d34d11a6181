/**
 * A failed command prints one line per failure: the outer message and the
 * root cause, not a stack; bad input as it is, one line per problem.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, RetryState } from '@temporalio/common';
import { failureLines, isServerUnreachable } from '../../cli/failure.js';
import { BadInputError } from '../../core/errors.js';

test('a workflow failure is one line: the workflow and the root cause', () => {
  const root = ApplicationFailure.nonRetryable('file:///s/datasets/d/test/shard-00000.arrow: does not exist', 'ObjectNotFoundError');
  const activity = new ActivityFailure('Activity task failed', 'evaluateModel', '12', RetryState.NON_RETRYABLE_FAILURE, 'worker-1', root);
  const error = new WorkflowFailedError('Workflow execution failed', activity, RetryState.NON_RETRYABLE_FAILURE);
  assert.deepEqual(failureLines(error), ['error: Workflow execution failed: file:///s/datasets/d/test/shard-00000.arrow: does not exist']);
});

test('bad input keeps one line per problem', () => {
  const error = new BadInputError('run config x', '\n  teacher.model: unknown model "big"\n  strong.model: unknown model "huge"');
  assert.deepEqual(failureLines(error), ['error: run config x:', '  teacher.model: unknown model "big"', '  strong.model: unknown model "huge"']);
});

test('an unreachable server is told apart from a failed run', () => {
  assert.equal(isServerUnreachable(new Error('14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED 127.0.0.1:7233')), true);
  assert.equal(isServerUnreachable(new WorkflowFailedError('Workflow execution failed', ApplicationFailure.nonRetryable('bad'), RetryState.NON_RETRYABLE_FAILURE)), false);
});
