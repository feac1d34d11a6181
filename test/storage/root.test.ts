/**
 * A storage root is w2s's own: system locations and folders w2s did not make
 * are refused by the validate stage before anything is written; a new or
 * empty folder is accepted and marked, and a root written before roots were
 * marked (only the layout's folders) is adopted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities, createActivityDeps } from '../../activities/index.js';
import type { ValidatedRun } from '../../stages/validate-run.js';
import { ROOT_MARKER_KEY, storageRootProblem } from '../../storage/root.js';
import { syntheticTinyConfig } from '../harness/pipeline.js';

const { validateRun: validateRunActivity } = createActivities(createActivityDeps());

const validateRun = async (storage: string) => new MockActivityEnvironment().run(validateRunActivity, { config: await syntheticTinyConfig(storage), runId: 'root-check' }) as Promise<ValidatedRun>;

async function refused(storage: string, message: RegExp): Promise<void> {
  await assert.rejects(validateRun(storage), (error: unknown) => {
    assert.ok(error instanceof ApplicationFailure, String(error));
    assert.equal(error.nonRetryable, true, `${storage}: a refused root is not retried`);
    assert.match(error.message, message);
    assert.match(error.message, /use a new or empty folder of your own/);
    return true;
  });
}

test('system locations are refused, also behind a symbolic link', async () => {
  await refused('file:///etc', /\/etc is a system location/);
  await refused('/usr/local/w2s', /\/usr\/local\/w2s is a system location/);
  await refused('/proc/self', /\/proc\/\d+ is a system location/);
  await refused('/', /"\/": \/ is a system location/);
  assert.equal(await storageRootProblem('/sys/kernel'), `storage "/sys/kernel": /sys/kernel is a system location, never a storage root; use a new or empty folder of your own (e.g. ./.w2s or ~/w2s-storage), a w2s root, or gs://bucket/prefix`);
});

test('a folder w2s did not make is refused and left as it was', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'w2s-foreign-'));
  await writeFile(join(dir, 'notes.txt'), 'mine');
  await mkdir(join(dir, 'runs'));
  await refused(pathToFileURL(dir).href, /not a w2s root \(it holds "notes\.txt", and no w2s-root\.json\)/);
  assert.deepEqual((await readdir(dir)).sort(), ['notes.txt', 'runs']);
  const file = join(dir, 'notes.txt');
  await refused(file, /is a file, not a folder/);
});

test('a missing or empty folder is accepted and marked; an unmarked root of w2s folders is adopted', async () => {
  const parent = await mkdtemp(join(tmpdir(), 'w2s-new-'));
  const missing = join(parent, 'not-yet', '.w2s');
  await validateRun(missing);
  assert.deepEqual(await readdir(missing), [ROOT_MARKER_KEY]);
  const marker = await readFile(join(missing, ROOT_MARKER_KEY), 'utf8');
  await validateRun(missing);
  assert.equal(await readFile(join(missing, ROOT_MARKER_KEY), 'utf8'), marker, 'marking twice writes the same bytes');

  const old = await mkdtemp(join(tmpdir(), 'w2s-old-'));
  for (const folder of ['cache', 'datasets', 'lineage', 'objects', 'runs']) await mkdir(join(old, folder));
  await validateRun(old);
  assert.ok((await readdir(old)).includes(ROOT_MARKER_KEY));
  // Once marked, anything else a user puts beside the layout does not make the root foreign.
  await writeFile(join(old, 'README.txt'), 'our experiments');
  assert.equal(await storageRootProblem(old), undefined);
});
