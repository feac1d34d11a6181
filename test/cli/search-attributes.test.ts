/**
 * A Temporal namespace without w2s's search attributes (a cluster nobody
 * has set up for w2s yet) refuses a run at submission: `w2s run` prints one
 * line naming the missing attribute and the commands that register them,
 * exits non-zero, and starts nothing.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, Connection } from '@temporalio/client';
import { startDevServer } from '../../workers/dev-server.js';
import { FASHION_MNIST } from '../harness/pipeline.js';
import { CLI } from '../harness/temporal.js';

const exec = promisify(execFile);

test('w2s run on a namespace without the search attributes fails in one line that says how to register them', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'w2s-no-attributes-'));
  const server = await startDevServer({ searchAttributes: false });
  try {
    const config = join(dir, 'run.json');
    const run = { name: 'unregistered', storage: join(dir, 'root'), dataset: { source: FASHION_MNIST, format: 'idx' }, teacher: { model: 'linear', epochs: 1 }, strong: { model: 'cnn-small', epochs: 1 }, students: [{ method: 'adaptconf' }] };
    await writeFile(config, JSON.stringify(run));
    await assert.rejects(exec(process.execPath, [CLI, 'run', '--config', config, '--id', 'unregistered-1', '--address', server.address]), (error: Error & { stderr?: string; code?: number }) => {
      assert.ok(typeof error.code === 'number' && error.code !== 0, `exit code ${error.code}`);
      const lines = (error.stderr ?? '').trimEnd().split('\n');
      assert.equal(lines.length, 1, error.stderr);
      assert.match(lines[0]!, /^error: the Temporal namespace default has no search attribute W2s\w+; register w2s's once with: temporal operator search-attribute create --namespace default --name W2sConfigName --name W2sDatasetId --type Keyword && .* --name W2sMethods --type KeywordList && .* --name W2sBestPgr --type Double/);
      return true;
    });
    const connection = await Connection.connect({ address: server.address });
    try {
      const started = [];
      for await (const info of new Client({ connection }).workflow.list()) started.push(info.workflowId);
      assert.deepEqual(started, [], 'nothing was started');
    } finally {
      await connection.close();
    }
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
