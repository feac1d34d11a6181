/**
 * `w2s run --local` and `w2s sweep --local` run any config on the embedded
 * default, as `quickstart` does: their own dev server, in-process workers,
 * the config's storage. Run here as a user would, as child processes with no
 * TEMPORAL_ADDRESS, on a small real Fashion-MNIST subset.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { SweepRow } from '../../workflows/sweep.js';
import { localStorageRoot, tinyConfig } from '../harness/pipeline.js';
import { CLI } from '../harness/temporal.js';

const exec = promisify(execFile);
const { TEMPORAL_ADDRESS: _ignored, ...env } = process.env;

async function configFile(storage: string): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'w2s-local-')), 'tiny.json');
  await writeFile(file, JSON.stringify(tinyConfig(storage, { students: [{ method: 'ceiling' }, { method: 'adaptconf' }] })));
  return file;
}

test('run --local runs a config file on its own dev server and prints the table, the run and the report', async () => {
  const storage = await localStorageRoot();
  const { stdout } = await exec(process.execPath, [CLI, 'run', '--local', '--config', await configFile(storage), '--id', 'local-run'], { env });
  const rows = stdout.split('\n').filter((line) => /^\S+\s+(weak|ceiling|student)\s+\d/.test(line));
  assert.deepEqual(rows.map((line) => line.split(/\s+/)[0]), ['weak', 'ceiling', 'adaptconf']);
  assert.match(stdout, /^run local-run finished in \d+ s$/m);
  const report = /^report: (.+)$/m.exec(stdout)?.[1];
  assert.ok(report?.startsWith(storage) && existsSync(report), `the report is under the config's storage: ${report}`);
});

test('sweep --local runs the grid on its own dev server and prints one row per point and model', async () => {
  const storage = await localStorageRoot();
  const { stdout } = await exec(process.execPath, [CLI, 'sweep', '--local', '--config', await configFile(storage), '--seed', '0,1', '--id', 'local-sweep', '--json'], { env });
  const rows = JSON.parse(stdout) as SweepRow[];
  assert.deepEqual([...new Set(rows.map((r) => JSON.stringify(r.point)))].sort(), ['{"seed":0}', '{"seed":1}']);
  assert.ok(rows.some((r) => r.name === 'adaptconf'), 'the student is in the table');
});

test('run --local refuses a bad config before starting anything, with the bad-input exit code', async () => {
  const file = join(await mkdtemp(join(tmpdir(), 'w2s-local-')), 'bad.json');
  const storage = join(await mkdtemp(join(tmpdir(), 'w2s-local-')), 'root');
  await writeFile(file, JSON.stringify({ ...tinyConfig(storage), strong: { model: 'resnet-9000', epochs: 1 } }));
  const failed = await exec(process.execPath, [CLI, 'run', '--local', '--config', file], { env }).then(
    () => assert.fail('a bad config ran'),
    (error: Error & { code?: number; stderr?: string }) => error,
  );
  assert.equal(failed.code, 3);
  assert.match(failed.stderr ?? '', /strong\.model: unknown model "resnet-9000"/);
  assert.equal(existsSync(storage), false, 'nothing was written');
});
