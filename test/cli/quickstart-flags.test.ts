/**
 * `w2s quickstart` flags: --data, --storage and --seed reach the run config;
 * a bad preset or a missing data folder is refused before anything starts
 * (no server, no storage written). The full run is the embedded test's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseRunConfig } from '../../cli/config-file.js';
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
