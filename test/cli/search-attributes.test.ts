/**
 * A Temporal namespace without (all of) w2s's search attributes, on a real
 * dev server: `w2s run` refuses at submission in one line naming every
 * missing attribute, including those a run sets only later (the dataset id,
 * the best PGR), with commands that, run as printed with this project's
 * Temporal CLI, register them all. A run that got onto such a namespace
 * anyway (started by another client) is not a silent RUNNING in `w2s
 * status`: it says no worker polls its queue, then that its workflow task
 * keeps failing, and why; `w2s list` marks it stuck.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
// A CommonJS module: Node's ES module loader sees its default export only.
import proto from '@temporalio/proto';
import { NativeConnection } from '@temporalio/worker';
import { initBackend } from '../../ml/backend.js';
import { CPU_QUEUE, SEARCH_ATTRIBUTES } from '../../schemas/names.js';
import { submittedConfig } from '../../cli/start-run.js';
import { startSearchAttributes } from '../../workflows/run-metadata.js';
import { findTemporalBinary, startDevServer } from '../../workers/dev-server.js';
import { installRuntimeLogging } from '../../workers/logging.js';
import { createWorkers, runWorkers } from '../../workers/worker.js';
import { localStorageRoot, tinyConfig } from '../harness/pipeline.js';
import { CLI } from '../harness/temporal.js';

const enums = proto.temporal.api.enums.v1;

const exec = promisify(execFile);
const { INDEXED_VALUE_TYPE_KEYWORD: KEYWORD, INDEXED_VALUE_TYPE_KEYWORD_LIST: KEYWORD_LIST, INDEXED_VALUE_TYPE_DOUBLE: DOUBLE } = enums.IndexedValueType;
const TYPES: Readonly<Record<string, number>> = { Keyword: KEYWORD, KeywordList: KEYWORD_LIST, Double: DOUBLE };

async function registered(connection: Connection): Promise<Record<string, number>> {
  const listed = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
  return Object.fromEntries(Object.entries(listed.customAttributes ?? {}).filter(([name]) => name.startsWith('W2s')));
}

/** `w2s status <runId>` against the server, as text. */
async function status(address: string, runId: string): Promise<string> {
  return (await exec(process.execPath, [CLI, 'status', runId, '--address', address])).stdout;
}

/** Waits, on the server's own account, until `ready` holds for the run's description. */
async function until(handle: WorkflowHandle, ready: (raw: temporal.api.workflowservice.v1.IDescribeWorkflowExecutionResponse) => boolean): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const { raw } = await handle.describe();
    if (ready(raw)) return;
    if (Date.now() > deadline) throw new Error(`run ${handle.workflowId} never got there: ${JSON.stringify(raw.pendingWorkflowTask)}`);
    // The server offers no event for "a workflow task failed again"; ask again after the next attempt has had time.
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

test('a namespace missing a search attribute: refused at submission, the printed commands register them all, and a run stuck on it says so', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'w2s-attributes-'));
  const server = await startDevServer({ searchAttributes: false });
  const connection = await Connection.connect({ address: server.address });
  try {
    // Half set up, as a user who ran the old printed command was: the attributes given at start exist, the later ones do not.
    await connection.operatorService.addSearchAttributes({ namespace: 'default', searchAttributes: { W2sConfigName: KEYWORD, W2sMethods: KEYWORD_LIST } });
    const storage = await localStorageRoot();
    const config = tinyConfig(storage, { name: 'attributes', students: [{ method: 'hard' }] });
    const file = join(dir, 'run.json');
    await writeFile(file, JSON.stringify(config));

    const refused = await exec(process.execPath, [CLI, 'run', '--config', file, '--id', 'attributes-1', '--address', server.address]).then(
      () => assert.fail('the run was accepted'),
      (error: Error & { stderr?: string; code?: number }) => error,
    );
    assert.equal(refused.code, 1);
    const lines = (refused.stderr ?? '').trimEnd().split('\n');
    assert.equal(lines.length, 1, refused.stderr);
    assert.match(lines[0]!, /^error: the Temporal namespace default has no search attribute W2sDatasetId \(Keyword\), W2sBestPgr \(Double\); register w2s's once with: /);
    const client = new Client({ connection });
    const listed = [];
    for await (const info of client.workflow.list()) listed.push(info.workflowId);
    assert.deepEqual(listed, [], 'nothing was started');

    // A run started on this namespace by another client: first nobody polls its queue, then its workflow task fails at the upsert.
    const submitted = submittedConfig(config);
    const handle = await client.workflow.start('weakToStrong', { taskQueue: CPU_QUEUE, workflowId: 'attributes-stuck', args: [{ config: submitted }], typedSearchAttributes: startSearchAttributes(submitted) });
    assert.match(await status(server.address, handle.workflowId), /^ {2}waiting: no worker polling w2s-cpu \(start one: w2s worker --queues w2s-cpu\)$/m);
    installRuntimeLogging();
    await initBackend();
    const workerConnection = await NativeConnection.connect({ address: server.address });
    const workers = await createWorkers({ connection: workerConnection, namespace: 'default', queues: [CPU_QUEUE, 'w2s-gpu'], identity: 'attributes-test' });
    const running = runWorkers(workers);
    try {
      await until(handle, (raw) => (raw.pendingWorkflowTask?.attempt ?? 0) > 1);
      const shown = await status(server.address, handle.workflowId);
      assert.match(shown, /^attributes-stuck: RUNNING/m);
      assert.match(shown, /^ {2}stuck: its workflow task has failed \d+ time\(s\) and is retried until fixed: BAD_SEARCH_ATTRIBUTES: .*W2sDatasetId/m);
      const listed = (await exec(process.execPath, [CLI, 'list', '--address', server.address])).stdout;
      assert.match(listed, /^attributes-stuck +attributes +RUNNING \(stuck: w2s status attributes-stuck\) /m);
    } finally {
      for (const worker of workers) worker.shutdown();
      await running;
      await workerConnection.close();
    }
    await client.workflow.getHandle(handle.workflowId).terminate('test over');

    // The printed commands, run as printed by this project's Temporal CLI, register every attribute with its type.
    const commands = lines[0]!.replace(/^.*register w2s's once with: /, '');
    const binary = findTemporalBinary();
    assert.ok(binary, 'the Temporal CLI is installed (deploy/local/setup.sh)');
    await exec('bash', ['-c', commands], { env: { ...process.env, TEMPORAL_ADDRESS: server.address, PATH: `${dirname(binary)}${delimiter}${process.env.PATH ?? ''}` } });
    assert.deepEqual(await registered(connection), Object.fromEntries(Object.values(SEARCH_ATTRIBUTES).map(({ name, type }) => [name, TYPES[type]])));
    const accepted = await exec(process.execPath, [CLI, 'run', '--config', file, '--id', 'attributes-2', '--address', server.address]);
    assert.match(accepted.stdout, /^started attributes-2$/m);
    // Then how to look at it again: the server's status (with the address this command was given), the storage's report.
    assert.match(accepted.stdout, new RegExp(`^ {2}w2s status attributes-2 --address ${server.address.replace(/\./g, '\\.')} --watch +# `, 'm'));
    assert.match(accepted.stdout, new RegExp(`^ {2}w2s report attributes-2 --storage ${storage} +# the report, once it has finished$`, 'm'));
  } finally {
    await connection.close();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
