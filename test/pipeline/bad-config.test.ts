/**
 * Bad configs fail before any work starts, with messages that name each bad
 * field: at the command line, and again in the workflow's first stage for a
 * config submitted by another client.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { WorkflowFailedError } from '@temporalio/client';
import { EXIT_CODES } from '../../cli/failure.js';
import { FASHION_MNIST, localStorageRoot, startRun, submitConfig, syntheticTinyConfig, tinyConfig } from '../harness/pipeline.js';
import { CLI, type InProcessWorkers, TemporalHarness } from '../harness/temporal.js';

const run = promisify(execFile);

let temporal: TemporalHarness;
let workers: InProcessWorkers;
before(async () => {
  temporal = await TemporalHarness.start();
  workers = await temporal.inProcessWorkers();
});
after(async () => {
  await workers.shutdown();
  await temporal.stop();
});

const badYaml = `
name: bad-run
dataset:
  source: /nonexistent/fashion
  format: idx
teacher: { model: linear, epochs: 2 }
strong: { model: resnet-9000, epochs: -3 }
students:
  - method: adaptconf
  - method: telepathy
`;

test('w2s run refuses a bad config before contacting anything, naming every bad field', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'w2s-bad-'));
  const file = join(dir, 'run.yaml');
  await writeFile(file, badYaml);
  const failed = await run(process.execPath, [CLI, 'run', '--config', file, '--address', temporal.address]).then(
    () => assert.fail('w2s run accepted a bad config'),
    (error: { code: number; stderr: string }) => error,
  );
  assert.equal(failed.code, EXIT_CODES.badInput);
  assert.match(failed.stderr, /run\.yaml/);
  assert.match(failed.stderr, /strong\.epochs: .*(>0|positive|greater)/i);
  assert.match(failed.stderr, /students\.1\.method/);
  assert.doesNotMatch(failed.stderr, /at .*\.js:\d+/, 'a bad config is reported without a stack trace');

  const unknownModel = join(dir, 'model.yaml');
  await writeFile(unknownModel, badYaml.replace('epochs: -3', 'epochs: 3').replace('  - method: telepathy\n', ''));
  const modelFailure = await run(process.execPath, [CLI, 'run', '--config', unknownModel, '--address', temporal.address]).then(
    () => assert.fail('w2s run accepted an unknown model'),
    (error: { stderr: string }) => error,
  );
  assert.match(modelFailure.stderr, /strong\.model: unknown model "resnet-9000"/);
  assert.match(modelFailure.stderr, /dataset\.source: \/nonexistent\/fashion does not exist/);

  const missingFile = await run(process.execPath, [CLI, 'run', '--config', join(dir, 'absent.yaml')]).then(
    () => assert.fail('w2s run accepted a missing file'),
    (error: { stderr: string }) => error,
  );
  assert.match(missingFile.stderr, /absent\.yaml: cannot read config file \(ENOENT\)/);
});

test('a bad config submitted straight to Temporal fails in the validate stage, before ingest', async () => {
  const storage = await localStorageRoot();
  const good = tinyConfig(storage);
  const submissions: Array<[string, unknown, RegExp]> = [
    ['unknown-model', { ...good, strong: { ...good.strong, model: 'resnet-9000' } }, /strong\.model: unknown model "resnet-9000"/],
    ['negative-epochs', { ...good, teacher: { ...good.teacher, epochs: -1 } }, /teacher\.epochs/],
    ['missing-data', { ...good, dataset: { ...good.dataset, source: join(FASHION_MNIST, 'absent') } }, /dataset\.source: .*absent does not exist/],
    // Not a duration Temporal reads: past the bound, every workflow task would fail while the run shows RUNNING.
    ['endless-heartbeat', { ...good, execution: { ...good.execution, heartbeatTimeoutSeconds: 1e21 } }, /execution\.heartbeatTimeoutSeconds: .*86400/],
    ['endless-training', { ...good, execution: { ...good.execution, trainTimeoutMinutes: 1e300 } }, /execution\.trainTimeoutMinutes: .*43200/],
  ];
  for (const [runId, config, message] of submissions) {
    const handle = await submitConfig(temporal.client, config, runId);
    const error = await handle.result().then(
      () => assert.fail(`${runId}: the run succeeded`),
      (e: unknown) => e,
    );
    assert.ok(error instanceof WorkflowFailedError, `${runId}: ${String(error)}`);
    const cause = (error.cause as { cause?: { message: string; type?: string; nonRetryable?: boolean } } | undefined)?.cause;
    assert.match(cause?.message ?? '', message, runId);
    assert.equal(cause?.nonRetryable, true, `${runId}: bad config must not be retried`);
    const history = await handle.fetchHistory();
    const scheduled = (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes).map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name);
    assert.deepEqual(scheduled, ['validateRun'], `${runId}: no stage ran after validation`);
  }
  assert.deepEqual(await readdir(storage), [], 'nothing was written to storage');
});

test('a storage root w2s did not make is refused before any work, by w2s run and by the validate stage', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'w2s-not-a-root-'));
  await writeFile(join(dir, 'thesis.tex'), 'mine');
  // An address nothing answers: if the check were missing the command would fail as unreachable, not run.
  const refusedByCli = async (storage: string) => {
    const file = join(await mkdtemp(join(tmpdir(), 'w2s-cfg-')), 'run.json');
    await writeFile(file, JSON.stringify(await syntheticTinyConfig(storage)));
    return run(process.execPath, [CLI, 'run', '--config', file, '--address', '127.0.0.1:1']).then(
      () => assert.fail(`w2s run accepted storage ${storage}`),
      (error: { code: number; stderr: string }) => error,
    );
  };
  for (const [storage, message] of [
    ['file:///etc', /storage "file:\/\/\/etc": \/etc is a system location, never a storage root; use a new or empty folder/],
    ['/proc/self', /\/proc\/\d+ is a system location/],
    [dir, /not a w2s root \(it holds "thesis\.tex", and no w2s-root\.json\)/],
  ] as const) {
    const failed = await refusedByCli(storage);
    assert.equal(failed.code, EXIT_CODES.badInput, failed.stderr);
    assert.match(failed.stderr, message);
  }

  const handle = await startRun(temporal.client, await syntheticTinyConfig(dir), 'foreign-root');
  const error = await handle.result().then(
    () => assert.fail('a run into a foreign folder succeeded'),
    (e: unknown) => e,
  );
  const cause = (error as { cause?: { cause?: { message: string; nonRetryable?: boolean } } }).cause?.cause;
  assert.match(cause?.message ?? '', /not a w2s root/);
  assert.equal(cause?.nonRetryable, true);
  const history = await handle.fetchHistory();
  assert.deepEqual((history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes).map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name), ['validateRun']);
  assert.deepEqual(await readdir(dir), ['thesis.tex'], 'nothing was written to the refused folder');
});
