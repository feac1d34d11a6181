/**
 * An API key (which implies TLS) against a plaintext server (the dev
 * server): the CLI and a worker say that TLS was expected and what to
 * change, in one line, instead of "unreachable" or a raw transport error.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { EXIT_CODES } from '../../cli/failure.js';
import { CLI, TemporalHarness } from '../harness/temporal.js';

const exec = promisify(execFile);
const TLS_EXPECTED = /^error: Temporal server at 127\.0\.0\.1:\d+: TLS expected \(an API key or TLS options were given\), but the server answers in plaintext; for a plaintext server \(the local dev server\) leave out --api-key\/TEMPORAL_API_KEY/m;

let temporal: TemporalHarness;
before(async () => {
  temporal = await TemporalHarness.start();
});
after(async () => {
  await temporal.stop();
});

const failed = (args: string[]) =>
  exec(process.execPath, [CLI, ...args], { env: { ...process.env, TEMPORAL_API_KEY: 'not-for-this-server' } }).then(
    () => assert.fail(`w2s ${args.join(' ')} succeeded`),
    (error: { code: number; stderr: string }) => error,
  );

test('w2s status with an API key against a plaintext server says TLS was expected', async () => {
  const result = await failed(['status', 'any-run', '--address', temporal.address]);
  assert.equal(result.code, EXIT_CODES.badInput, result.stderr);
  assert.match(result.stderr, TLS_EXPECTED);
  assert.doesNotMatch(result.stderr, /unreachable/);
});

test('a worker with an API key against a plaintext server exits saying TLS was expected, not with a raw transport error', async () => {
  const result = await failed(['worker', '--address', temporal.address]);
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, TLS_EXPECTED);
  assert.doesNotMatch(result.stderr, /tonic::transport|InvalidContentType/);
});
