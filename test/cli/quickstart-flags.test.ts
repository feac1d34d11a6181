/**
 * `w2s quickstart` flags: --data, --storage and --seed reach the run config;
 * a bad preset or a missing data folder is refused before anything starts
 * (no server, no storage written). The full run is the embedded test's.
 * `--preset` takes the same names as `sweep --preset`, and `run` takes
 * `--seed` and `--storage` as the other commands do.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseRunConfig, readRunConfig, withRunFlags } from '../../cli/config-file.js';
import { allPresetNames, presetConfig, presetFile } from '../../cli/preset-files.js';
import { PRESETS } from '../../cli/presets.js';
import { CLI } from '../harness/temporal.js';

const exec = promisify(execFile);

test('the quick preset takes --data, --storage and --seed', () => {
  const config = parseRunConfig('preset quick', PRESETS.quick!({ data: '/data/fm', storage: 'gs://bucket/w2s', seed: 42 }));
  assert.equal(config.dataset.source, '/data/fm');
  assert.equal(config.storage, 'gs://bucket/w2s');
  assert.equal(config.seed, 42);
  assert.equal(config.teacher.model, 'linear');
  assert.deepEqual(config.students.map((s) => s.method), ['ceiling', 'hard', 'adaptconf']);
});

test('quickstart refuses an unknown preset and a missing data folder before starting anything', async () => {
  const storage = join(await mkdtemp(join(tmpdir(), 'w2s-quickstart-')), 'root');
  const refused = async (args: string[]) =>
    exec(process.execPath, [CLI, 'quickstart', '--storage', storage, ...args]).then(
      () => assert.fail(`quickstart ${args.join(' ')} ran`),
      (error: Error & { stderr?: string }) => error.stderr ?? '',
    );
  assert.match(await refused(['--preset', 'huge']), /argument 'huge' is invalid\. Allowed choices are quick/);
  assert.match(await refused(['--data', '/nonexistent/fashion-mnist']), /dataset\.source: \/nonexistent\/fashion-mnist does not exist/);
  assert.equal(existsSync(storage), false, 'nothing was written for a refused run');
});

test('quickstart and sweep take the same preset names: the built-in quick and every file in presets/', () => {
  const names = allPresetNames();
  assert.ok(names.includes('quick') && names.includes('pure-scratch') && names.includes('kd'), names.join(', '));
  const scratch = presetConfig('pure-scratch', { seed: 3 });
  assert.equal(scratch.seed, 3);
  assert.equal(scratch.name, readRunConfig(presetFile('pure-scratch')).name);
  assert.equal(scratch.storage, readRunConfig(presetFile('pure-scratch')).storage, 'a file preset keeps its own storage unless given');
  assert.equal(presetConfig('quick', { seed: 2 }).seed, 2);
});

test('run takes --seed and --storage over the config file, as quickstart, sweep and pretrain do', async () => {
  const config = parseRunConfig('preset quick', PRESETS.quick!({ data: '/data/fm', storage: '.w2s', seed: 0 }));
  const overridden = withRunFlags(config, { seed: '7', storage: 'gs://bucket/w2s' });
  assert.equal(overridden.seed, 7);
  assert.equal(overridden.storage, 'gs://bucket/w2s');
  assert.deepEqual(withRunFlags(config, {}), config);
  const refused = await exec(process.execPath, [CLI, 'run', '--local', '--config', presetFile('pure-scratch'), '--seed', 'one']).then(
    () => assert.fail('a bad seed ran'),
    (error: Error & { code?: number; stderr?: string }) => error,
  );
  assert.equal(refused.code, 3);
  assert.match(refused.stderr ?? '', /^error: --seed one: expected a whole number from 0$/m);
});
