/**
 * Checks that run before any work: run ids that cannot name a run's folders
 * are refused by the client and by the pipeline's validate stage, with one
 * line naming the id; out-of-range loss options are refused by the config parse.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities, createActivityDeps } from '../../activities/index.js';
import type { ValidatedRun } from '../../stages/validate-run.js';
import { isBadInputError } from '../../core/errors.js';
import { parseRunConfig } from '../../cli/config-file.js';
import { runIdProblem } from '../../schemas/pipeline.js';
import { checkRunId, submittedConfig } from '../../cli/start-run.js';
import { tinyConfig } from '../harness/pipeline.js';

const { validateRun: validateRunActivity } = createActivities(createActivityDeps());

/** The validate stage as workers run it: the activity, in an activity context. */
const validateRun = (input: Parameters<typeof validateRunActivity>[0]) => new MockActivityEnvironment().run(validateRunActivity, input) as Promise<ValidatedRun>;

const BAD_IDS = ['../x', 'a/b', 'UPPER case', '', '.hidden', 'a..b', 'x'.repeat(129), 'tab\there'];
// The last: the id a schedule gives a retrain's pipeline (the schedule's id plus the time it fired).
const GOOD_IDS = ['same-a', 'thresholds-th0p25', 'sweep-adaptconf-T2', 'run_1.2', 'weekly-retrain-2026-11-30T11:58:41Z-pipeline'];

test('run ids that would leave or split their folder are refused', () => {
  for (const id of BAD_IDS) assert.ok(runIdProblem(id), `refused: ${JSON.stringify(id)}`);
  for (const id of GOOD_IDS) assert.equal(runIdProblem(id), undefined, `accepted: ${id}`);
});

test('the client refuses a bad run id with one line naming it', () => {
  assert.throws(
    () => checkRunId('../x'),
    (error: unknown) => isBadInputError(error) && error.message.startsWith('run id "../x": use ') && !error.message.includes('\n'),
  );
});

test('the validate stage refuses a bad run id before reading the config', async () => {
  const config = tinyConfig('/tmp/w2s-unused');
  for (const runId of ['../x', 'a/b', 'UPPER case']) {
    await assert.rejects(validateRun({ config, runId }), (error: unknown) => error instanceof ApplicationFailure && error.nonRetryable && error.type === 'BadInputError' && error.message.includes(JSON.stringify(runId)));
  }
  assert.equal((await validateRun({ config, runId: 'fine-1' })).config.name, config.name);
});

test('the storage root is made absolute when a run is submitted; the validate stage refuses a relative one', async () => {
  const relative = tinyConfig('.w2s');
  assert.equal(submittedConfig(relative, '/home/me/project').storage, 'file:///home/me/project/.w2s');
  assert.equal(submittedConfig(tinyConfig('gs://bucket/team/'), '/anywhere').storage, 'gs://bucket/team');
  assert.equal(submittedConfig(tinyConfig('file:///data/w2s'), '/anywhere').storage, 'file:///data/w2s');
  assert.throws(() => submittedConfig(tinyConfig('s3://bucket/x')), (error: unknown) => isBadInputError(error) && /unsupported scheme/.test(error.message));
  await assert.rejects(
    validateRun({ config: relative, runId: 'relative-1' }),
    (error: unknown) => error instanceof ApplicationFailure && error.nonRetryable && error.type === 'BadInputError' && error.message.includes('storage: ".w2s" is a relative folder'),
  );
  assert.equal((await validateRun({ config: submittedConfig(relative, '/tmp'), runId: 'relative-2' })).config.storage, 'file:///tmp/.w2s');
});

test('loss options out of range are refused by the config parse', () => {
  const base = { name: 'x', dataset: { source: '/data' }, teacher: { model: 'linear', epochs: 1 }, strong: { model: 'cnn-small', epochs: 1 } };
  assert.throws(() => parseRunConfig('cfg', { ...base, students: [{ method: 'adaptconf', theta: 1e12 }] }), /students\.0\.theta: .*1000/);
  assert.throws(() => parseRunConfig('cfg', { ...base, students: [{ method: 'adaptconf', temperature: 1e12 }] }), /students\.0\.temperature: .*1000/);
  assert.doesNotThrow(() => parseRunConfig('cfg', { ...base, students: [{ method: 'adaptconf', theta: 4 }] }));
});

test('a student may not take the teacher\'s name: stages and their activities are named after the model', () => {
  assert.throws(
    () => tinyConfig('/tmp/unused', { students: [{ method: 'ceiling' }, { method: 'adaptconf', name: 'weak' }] }),
    (error: unknown) => isBadInputError(error) && /students\.1\.name: "weak" names the teacher; give the student another name/.test(error.message),
  );
});
