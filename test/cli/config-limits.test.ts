/**
 * A run config is read only if it is a regular file within the size and
 * nesting limits (schemas/limits.ts); past one, `w2s run` refuses it at
 * once, naming the limit, without holding the file in memory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readRunConfig } from '../../cli/config-file.js';
import { EXIT_CODES } from '../../cli/failure.js';
import { isBadInputError } from '../../core/errors.js';
import { MAX_CONFIG_BYTES } from '../../schemas/limits.js';
import { CLI } from '../harness/temporal.js';

const exec = promisify(execFile);
const config = 'name: x\ndataset: { source: /data }\nteacher: { model: linear, epochs: 1 }\nstrong: { model: cnn-small, epochs: 1 }\nstudents: [{ method: adaptconf }]\n';

async function file(name: string, text: string): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'w2s-cfg-')), name);
  await writeFile(path, text);
  return path;
}

const refusedWith = (message: RegExp) => (error: unknown) => isBadInputError(error) && message.test(error.message);

test('w2s run --config /dev/zero is refused at once, as not a regular file', async () => {
  const failed = await exec(process.execPath, [CLI, 'run', '--config', '/dev/zero', '--address', '127.0.0.1:1']).then(
    () => assert.fail('accepted /dev/zero'),
    (error: { code: number; stderr: string }) => error,
  );
  assert.equal(failed.code, EXIT_CODES.badInput);
  assert.match(failed.stderr, /\/dev\/zero: is not a regular file; a run config is a YAML or JSON file/);
});

test('a config larger than the limit is refused naming the limit, even if it is valid', async () => {
  const padded = await file('big.yaml', `${config}# ${'x'.repeat(MAX_CONFIG_BYTES)}\n`);
  assert.throws(() => readRunConfig(padded), refusedWith(/big\.yaml: is larger than 1 MiB, the limit for a run config/));
  assert.equal(readRunConfig(await file('small.yaml', config)).name, 'x');
});

test('a config nested past the depth limit is refused naming the limit, not with a stack overflow', async () => {
  const deepYaml = await file('deep.yaml', `${config}extra: ${'['.repeat(200_000)}${']'.repeat(200_000)}\n`);
  assert.throws(() => readRunConfig(deepYaml), refusedWith(/deep\.yaml: is nested (too deeply to parse; a run config is at most 32 levels deep|more than 32 levels deep)/));
  const deepJson = await file('deep.json', `{"name": "x", "extra": ${'['.repeat(40)}${']'.repeat(40)}}`);
  assert.throws(() => readRunConfig(deepJson), refusedWith(/deep\.json: is nested more than 32 levels deep, the limit for a run config/));
});
