/**
 * `w2s cancel` on a run that has already ended: the server would accept the
 * request and do nothing, so the command says the run is over, with the
 * bad-input exit code, instead of "cancel requested".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { CPU_QUEUE } from '../../schemas/names.js';
import { startDevServer } from '../../workers/dev-server.js';
import { CLI } from '../harness/temporal.js';

const exec = promisify(execFile);

test('cancel on an ended run says it is over and exits 3; on an unknown id, that it names nothing', async () => {
  const server = await startDevServer();
  const connection = await Connection.connect({ address: server.address });
  try {
    // No worker is needed for a run that is ended at once.
    const handle = await new Client({ connection }).workflow.start('weakToStrong', { taskQueue: CPU_QUEUE, workflowId: 'ended-run', args: [{}] });
    await handle.terminate('ended for the test');
    const cancel = (runId: string) =>
      exec(process.execPath, [CLI, 'cancel', runId, '--address', server.address]).then(
        () => assert.fail(`cancel ${runId} succeeded`),
        (error: Error & { code?: number; stdout?: string; stderr?: string }) => error,
      );
    const ended = await cancel('ended-run');
    assert.equal(ended.code, 3);
    assert.equal(ended.stdout, '');
    assert.match(ended.stderr ?? '', /^error: run ended-run: already TERMINATED at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC; there is nothing to cancel\n$/);
    const unknown = await cancel('no-such-run');
    assert.equal(unknown.code, 3);
    assert.match(unknown.stderr ?? '', /^error: run no-such-run: no such run on the Temporal server at /);
  } finally {
    await connection.close();
    await server.stop();
  }
});
