/**
 * The workflow bundle holds orchestration only: the contracts it reads and
 * the workflow SDK, never Arrow, TensorFlow.js or storage code (they would
 * run inside the deterministic sandbox, and slow every workflow task).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workflowBundlePath } from '../../workers/bundle.js';

test('the workflow bundle contains the workflows and schemas but no Arrow, tfjs or storage code', async () => {
  const cacheDir = await mkdtemp(join(tmpdir(), 'w2s-bundle-test-'));
  try {
    const code = await readFile(await workflowBundlePath(cacheDir), 'utf8');
    // Module paths of everything webpack bundled, as it names them in the output.
    const modules = [...code.matchAll(/"(\.{1,2}\/[^"\s]+\.(?:js|cjs|mjs|json))"/g)].map((m) => m[1] as string);
    assert.ok(modules.some((m) => m.endsWith('workflows/weak-to-strong.js')), `the pipeline workflow is in the bundle (found ${modules.length} modules)`);
    assert.ok(modules.some((m) => m.endsWith('schemas/names.js')), 'the contracts the workflows read are in the bundle');
    const forbidden = modules.filter((m) => /apache-arrow|@tensorflow|\/storage\/|\/ml\/|\/stages\//.test(m));
    assert.deepEqual(forbidden, [], 'no Arrow, TensorFlow.js, storage, ml or stage modules in the workflow bundle');
    assert.doesNotMatch(code, /node_modules\/(apache-arrow|@tensorflow)\//);
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
});
