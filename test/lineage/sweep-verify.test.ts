/**
 * `w2s verify` and `w2s lineage` on a real run's lineage: a sweep child whose
 * dataset has a validation split (its validation scores have no agreement)
 * reads and verifies; records deleted or replaced by a symbolic link are
 * noticed against the run's lineage summary rather than passed over.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { SweepRow } from '../../workflows/sweep.js';
import { syntheticTinyConfig } from '../harness/pipeline.js';
import { cliServers } from '../harness/cli-servers.js';
import { CLI } from '../harness/temporal.js';

const exec = promisify(execFile);

const servers = cliServers();
let child: string;

const w2s = (...args: string[]) =>
  exec(process.execPath, [CLI, ...args]).then(
    ({ stdout, stderr }) => ({ stdout, stderr, code: 0 }),
    (error: { stdout: string; stderr: string; code: number }) => error,
  );

test('w2s verify and w2s lineage read a sweep child whose dataset has a validation split', async () => {
  const config = await syntheticTinyConfig(servers.storage, { students: [{ method: 'adaptconf' }] });
  const withValidation = { ...config, dataset: { ...config.dataset, splits: { weak: 0.3, transfer: 0.6, validation: 0.1 } } };
  const file = join(await mkdtemp(join(tmpdir(), 'w2s-cfg-')), 'sweep.json');
  await writeFile(file, JSON.stringify(withValidation));
  const sweep = await w2s('sweep', '--config', file, '--theta', '0.5', '--seed', '1', '--id', 'val', '--wait', '--json', '--address', servers.temporal.address);
  assert.equal(sweep.code, 0, sweep.stderr);
  child = (JSON.parse(sweep.stdout) as SweepRow[])[0]!.runId;
  const records = await readdir(join(servers.storage, 'lineage', child));
  assert.ok(records.some((name) => name.startsWith('evaluate-validation-')), `the sweep scored the child on the validation split: ${records.join(', ')}`);

  const verified = await w2s('verify', child, '--storage', servers.storage);
  assert.equal(verified.code, 0, verified.stderr);
  assert.match(verified.stdout, /, 0 mismatched, 0 missing$/m);
  const lineage = await w2s('lineage', child, '--storage', servers.storage);
  assert.equal(lineage.code, 0, lineage.stderr);
  assert.match(lineage.stdout, /evaluate-validation-adaptconf/);
  assert.equal(lineage.stderr, '');
});

test('w2s verify notices lineage records that were deleted or replaced by a symbolic link', async () => {
  const folder = join(servers.storage, 'lineage', child);
  const trains = (await readdir(folder)).filter((name) => name.startsWith('train-')).sort();
  assert.deepEqual(trains, ['train-adaptconf-1.json', 'train-weak-1.json']);
  await rm(join(folder, 'train-weak-1.json'));
  const elsewhere = join(await mkdtemp(join(tmpdir(), 'w2s-elsewhere-')), 'train-adaptconf-1.json');
  await copyFile(join(folder, 'train-adaptconf-1.json'), elsewhere);
  await rm(join(folder, 'train-adaptconf-1.json'));
  await symlink(elsewhere, join(folder, 'train-adaptconf-1.json'));

  const verified = await w2s('verify', child, '--storage', servers.storage);
  assert.equal(verified.code, 1, 'missing lineage fails verify');
  assert.match(verified.stdout, /MISSING +lineage of train-adaptconf: the run's summary counts 1 attempt, 0 found/);
  assert.match(verified.stdout, /MISSING +lineage of train-weak: the run's summary counts 1 attempt, 0 found/);
  assert.match(verified.stderr, /lineage records missing for train-adaptconf \(0 of 1\), train-weak \(0 of 1\)/);
  const lineage = await w2s('lineage', child, '--storage', servers.storage);
  assert.match(lineage.stderr, /warning: lineage of train-weak: the run's summary counts 1 attempt\(s\), 0 record\(s\) found/);
});
