/**
 * What a script sees from `w2s`: the version, a description on every command
 * and option, and, for each kind of failure, one line naming what failed and
 * its own exit code (usage, bad input, unreachable server, failed run).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, RetryState } from '@temporalio/common';
import type { Command } from 'commander';
import { EXIT_CODES, exitCodeFor, ServerUnreachableError } from '../../cli/failure.js';
import { buildProgram } from '../../cli/program.js';
import { BadInputError } from '../../core/errors.js';
import { CLI } from '../harness/temporal.js';

const ROOT = dirname(dirname(dirname(dirname(fileURLToPath(import.meta.url)))));

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function w2s(...args: string[]): Promise<Outcome> {
  const { TEMPORAL_ADDRESS: _ignored, ...env } = process.env;
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env }, (error, stdout, stderr) => {
      const code = error ? Number((error as { code?: unknown }).code) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A port nothing listens on: bound, read, released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('--version prints the package version', async () => {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const out = await w2s('--version');
  assert.equal(out.code, EXIT_CODES.ok);
  assert.equal(out.stdout.trim(), version);
});

test('every command, argument and option says what it is for', async () => {
  const missing: string[] = [];
  const walk = (command: Command, path: string): void => {
    if (!command.description()) missing.push(`command ${path}`);
    for (const option of command.options) if (!option.description) missing.push(`option ${path} ${option.flags}`);
    for (const argument of command.registeredArguments) if (!argument.description) missing.push(`argument ${path} <${argument.name()}>`);
    for (const sub of command.commands) walk(sub, `${path} ${sub.name()}`);
  };
  walk(await buildProgram(), 'w2s');
  assert.deepEqual(missing, []);
});

test('a wrong command line exits with the usage code', async () => {
  const unknownOption = await w2s('schedule', 'list', '--no-such-flag');
  assert.equal(unknownOption.code, EXIT_CODES.usage);
  assert.match(unknownOption.stderr, /unknown option '--no-such-flag'/);
  assert.equal((await w2s('run')).code, EXIT_CODES.usage, 'run without --config');
});

test('a bad config file is one line naming the file, with the bad-input code', async () => {
  const file = join(await mkdtemp(join(tmpdir(), 'w2s-exit-')), 'broken.yaml');
  await writeFile(file, 'name: x\nteacher: [unclosed\n');
  const out = await w2s('run', '--config', file, '--address', '127.0.0.1:1');
  assert.equal(out.code, EXIT_CODES.badInput);
  const lines = out.stderr.trim().split('\n');
  assert.match(lines[0] ?? '', new RegExp(`^error: .*${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
  assert.doesNotMatch(out.stderr, /\n\s+at /, 'no stack trace');
});

test('a bad schedule flag is refused before connecting, with the bad-input code', async () => {
  const out = await w2s('schedule', 'create', 'x', '--config', join(ROOT, 'presets', 'kd.yaml'), '--every', '24h', '--timezone', 'Mars/Olympus', '--address', '127.0.0.1:1');
  assert.equal(out.code, EXIT_CODES.badInput);
  assert.deepEqual(out.stderr.trim().split('\n'), ['error: --timezone Mars/Olympus: not an IANA time zone (e.g. UTC, Europe/Paris, America/New_York)']);
});

test('an unreachable server is one line naming its address, with the unreachable code', async () => {
  const address = `127.0.0.1:${await closedPort()}`;
  const out = await w2s('schedule', 'list', '--address', address);
  assert.equal(out.code, EXIT_CODES.unreachable);
  assert.deepEqual(out.stderr.trim().split('\n'), [`error: Temporal server at ${address}: unreachable (is it running? set --address or TEMPORAL_ADDRESS)`]);
});

test('exit codes tell a failed run from bad input and an outage', () => {
  const root = ApplicationFailure.nonRetryable('loss went NaN at step 40', 'TrainingDiverged');
  const failedRun = new WorkflowFailedError('Workflow execution failed', new ActivityFailure('Activity task failed', 'trainStudent', '7', RetryState.NON_RETRYABLE_FAILURE, 'w', root), RetryState.NON_RETRYABLE_FAILURE);
  assert.equal(exitCodeFor(failedRun), EXIT_CODES.failed);
  assert.equal(exitCodeFor(new BadInputError('run config x', 'teacher.model: unknown model')), EXIT_CODES.badInput);
  assert.equal(exitCodeFor(new ServerUnreachableError('h:7233')), EXIT_CODES.unreachable);
  assert.equal(new Set(Object.values(EXIT_CODES)).size, Object.keys(EXIT_CODES).length, 'each kind has its own code');
});
