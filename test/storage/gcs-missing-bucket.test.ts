/**
 * A storage root in a bucket that does not exist (fake-gcs-server): the
 * store names the bucket instead of the client's bare `Not Found`, and the
 * validate stage fails at once, not retried.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities, createActivityDeps } from '../../activities/index.js';
import { isBadInputError } from '../../core/errors.js';
import { openStore } from '../../storage/open.js';
import { FakeGcs } from '../harness/fake-gcs.js';
import { syntheticTinyConfig } from '../harness/pipeline.js';

const { validateRun } = createActivities(createActivityDeps());

let gcs: FakeGcs;
before(async () => {
  gcs = await FakeGcs.start({ buckets: ['w2s-exists'] });
});
after(async () => {
  await gcs.dispose();
});

const NO_BUCKET = /^gs:\/\/nosuchbucket: no such bucket \(or no access to it\); create it, or check the bucket name/;

test('listing or writing into a missing bucket names the bucket, as bad input', async () => {
  const store = openStore('gs://nosuchbucket/root', { gcs: { emulatorHost: gcs.url } });
  await assert.rejects(store.list(''), (error: unknown) => isBadInputError(error) && NO_BUCKET.test(error.message));
  await assert.rejects(store.put('w2s-root.json', '{}'), (error: unknown) => isBadInputError(error) && NO_BUCKET.test(error.message));
});

test('a run into a missing bucket fails the validate stage once, naming the bucket', async () => {
  process.env.STORAGE_EMULATOR_HOST = gcs.url;
  try {
    const config = await syntheticTinyConfig('gs://nosuchbucket/root');
    await assert.rejects(new MockActivityEnvironment().run(validateRun, { config, runId: 'no-bucket' }), (error: unknown) => {
      assert.ok(error instanceof ApplicationFailure, String(error));
      assert.equal(error.nonRetryable, true);
      assert.match(error.message, NO_BUCKET);
      return true;
    });
  } finally {
    delete process.env.STORAGE_EMULATOR_HOST;
  }
});
