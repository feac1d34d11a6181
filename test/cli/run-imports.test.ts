/**
 * `w2s run` only submits a config: loading it must not pull in TensorFlow.js
 * or the worker SDK, which take seconds and native libraries to load.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The CommonJS modules a fresh node process has loaded after importing `module` (tfjs and the Temporal SDK are CommonJS). */
async function loadedBy(module: string): Promise<string[]> {
  const script = `
    import { createRequire } from 'node:module';
    await import(${JSON.stringify(new URL(module, import.meta.url).href)});
    console.log(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));
  `;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script]);
  return JSON.parse(stdout) as string[];
}

test("the run command's modules load neither TensorFlow.js nor the Temporal worker SDK", async () => {
  const loaded = await loadedBy('../../cli/commands/run.js');
  assert.ok(loaded.some((path) => path.includes('/@temporalio/client/')), 'the client SDK is loaded (the check sees CommonJS modules)');
  assert.deepEqual(loaded.filter((path) => /\/@tensorflow\/|\/@temporalio\/worker\//.test(path)), []);
});

test('the worker does load both, so the check above can fail', async () => {
  const loaded = await loadedBy('../../workers/worker.js');
  assert.ok(loaded.some((path) => path.includes('/@temporalio/worker/')));
  assert.ok(loaded.some((path) => path.includes('/@tensorflow/')));
});
