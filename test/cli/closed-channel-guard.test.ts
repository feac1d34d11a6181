/**
 * Closing the CLI's connection while a failed call waits to be retried
 * cancels the retry instead of crashing the process (Ctrl-C while a
 * progress query fails as the workers stop).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const SCENARIO = new URL('../harness/closed-channel.js', import.meta.url).pathname;

/** A loopback address nothing listens on: a port the OS handed out and took back. */
async function deadAddress(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `127.0.0.1:${port}`;
}

test('a retry due after the connection closed is cancelled, not thrown out of its timer', async () => {
  const { stdout } = await exec(process.execPath, [SCENARIO, await deadAddress(), 'guarded']);
  // 1 is CANCELLED: the guard's answer, which the retry interceptor does not retry.
  assert.match(stdout, /^rejected: 1 /);
});

test('without the guard the same retry crashes the process (what the guard is for)', async () => {
  const outcome = await exec(process.execPath, [SCENARIO, await deadAddress(), 'unguarded']).then(
    () => ({ code: 0, stderr: '' }),
    (error: { code: number; stderr: string }) => error,
  );
  assert.notEqual(outcome.code, 0);
  assert.match(outcome.stderr, /Channel has been shut down/);
});
