/**
 * The CLI reaches workers only through the host it is handed (cli/worker-host.ts):
 * the modules that run workers in the CLI's process (the embedded default,
 * `w2s worker`) do not load the worker SDK until a command asks the host for
 * it, and without a host they say who should provide one. (The embedded
 * default does load TensorFlow.js: it picks the backend its in-process
 * stages will use, through ml/backend.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { workerHost } from '../../cli/worker-host.js';

const run = promisify(execFile);

/** The CommonJS modules (tfjs and the Temporal SDK are CommonJS) a fresh node process has loaded after importing `modules`. */
async function loadedBy(...modules: string[]): Promise<string[]> {
  const script = `
    import { createRequire } from 'node:module';
    for (const module of ${JSON.stringify(modules.map((m) => new URL(m, import.meta.url).href))}) await import(module);
    console.log(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));
  `;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script]);
  return JSON.parse(stdout) as string[];
}

test('the embedded default and `w2s worker` do not load the worker SDK until they ask the host', async () => {
  const loaded = await loadedBy('../../cli/embedded.js', '../../cli/commands/worker.js');
  assert.ok(loaded.some((path) => path.includes('/@temporalio/client/')), 'the client SDK is loaded (the check sees CommonJS modules)');
  assert.deepEqual(loaded.filter((path) => path.includes('/@temporalio/worker/')), []);
});

test('the host the w2s command hands in does load the worker SDK, so the check above can fail', async () => {
  const loaded = await loadedBy('../../workers/host.js');
  assert.ok(loaded.some((path) => path.includes('/@temporalio/worker/')));
});

test('without a host, a command that needs one says who provides it', async () => {
  await assert.rejects(workerHost(), /no worker host: the w2s command \(bin\/w2s\.ts\) provides one/);
});
