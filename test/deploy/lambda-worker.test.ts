/**
 * The Lambda worker (deploy/lambda, built by its build.mjs) invoked the way
 * AWS Lambda invokes it: `handler(event, context)` with the invocation's
 * deadline. Against a real Temporal dev server it polls `w2s-cpu` as a
 * versioned worker, runs a run's workflow task and its first stage
 * (validateRun) and the CPU stage after it (ingest of a small Fashion-MNIST
 * subset) with w2s's own code, and returns before the deadline. The
 * repository's own worker (1.24) then replays the history it wrote.
 *
 * This process never loads the repository's @temporalio/worker (1.24): the
 * handler brings its own 1.23 worker and native bridge.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { type DevServer, findTemporalBinary, startDevServer } from '../../workers/dev-server.js';
import { localStorageRoot, startRun, tinyConfig } from '../harness/pipeline.js';

const run = promisify(execFile);
const repoRoot = dirname(dirname(dirname(dirname(fileURLToPath(import.meta.url)))));
const lambdaDir = join(repoRoot, 'deploy', 'lambda');
const lambdaHandler = join(lambdaDir, 'dist', 'handler.mjs');

/** What this test reads of a Lambda context (lambda-worker reads these fields). */
interface InvocationContext {
  readonly awsRequestId: string;
  readonly invokedFunctionArn: string;
  readonly functionName: string;
  readonly functionVersion: string;
  readonly memoryLimitInMB: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
  readonly callbackWaitsForEmptyEventLoop: boolean;
  getRemainingTimeInMillis(): number;
}
type Handler = (event: unknown, context: InvocationContext) => Promise<void>;

function invocation(requestId: string, deadline: number): InvocationContext {
  return {
    awsRequestId: requestId,
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:w2s-cpu-worker',
    functionName: 'w2s-cpu-worker',
    functionVersion: '$LATEST',
    memoryLimitInMB: '4096',
    logGroupName: '/aws/lambda/w2s-cpu-worker',
    logStreamName: `test/${requestId}`,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
}

let server: DevServer;
let connection: Connection;
let storage: string;
before(async () => {
  assert.ok(existsSync(join(lambdaDir, 'node_modules', '@temporalio', 'lambda-worker')), `${lambdaDir}/node_modules is missing: run npm ci --prefix deploy/lambda (deploy/local/setup.sh does)`);
  // Built here, from the dist/ this test run compiled, as a release would build it.
  await run(process.execPath, [join(lambdaDir, 'build.mjs')], { cwd: lambdaDir });
  server = await startDevServer();
  connection = await Connection.connect({ address: server.address });
  storage = await localStorageRoot();
});
after(async () => {
  await connection?.close();
  await server?.stop();
  if (storage) await rm(storage, { recursive: true, force: true });
});

test('one Lambda invocation polls w2s-cpu, runs a run\'s CPU stages, and returns before its deadline', async () => {
  const buildId = 'lambda-test-build';
  process.env.W2S_BUILD_ID = buildId;
  process.env.W2S_DEPLOYMENT_NAME = 'w2s';
  process.env.TEMPORAL_ADDRESS = server.address;
  process.env.TEMPORAL_NAMESPACE = 'default';
  // Versioned workers get work once their version is current; the operator does this at each release.
  const temporal = findTemporalBinary();
  assert.ok(temporal, 'the temporal CLI is needed to set the current worker deployment version');
  await run(temporal, ['worker', 'deployment', 'set-current-version', '--address', server.address, '--deployment-name', 'w2s', '--build-id', buildId, '--allow-no-pollers', '--yes']);

  const client = new Client({ connection });
  const handle = await startRun(client, tinyConfig(storage), 'lambda-run');
  const { handler } = (await import(pathToFileURL(lambdaHandler).href)) as { handler: Handler };
  const requestId = 'req-1';
  const deadline = Date.now() + 40_000;
  const context = invocation(requestId, deadline);
  await handler({}, context);
  const returnedAt = Date.now();

  const history = await handle.fetchHistory();
  const events = history.events ?? [];
  const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'validateRun');
  assert.ok(scheduled, 'the workflow task ran on the Lambda worker and scheduled validateRun');
  const started = events.find((e) => e.activityTaskStartedEventAttributes?.scheduledEventId?.toString() === scheduled.eventId?.toString());
  assert.equal(started?.activityTaskStartedEventAttributes?.identity, `${requestId}@${context.invokedFunctionArn}`, 'validateRun ran in this invocation');
  const completed = events.find((e) => e.activityTaskCompletedEventAttributes?.scheduledEventId?.toString() === scheduled.eventId?.toString());
  assert.ok(completed, 'validateRun completed');
  const ingest = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'ingest');
  assert.ok(ingest, 'the workflow moved on to ingest');
  const ingestDone = events.find((e) => e.activityTaskCompletedEventAttributes?.scheduledEventId?.toString() === ingest.eventId?.toString());
  assert.ok(ingestDone, 'ingest, a CPU stage that reads the source and writes shards, completed in this invocation');
  const workflowTaskIdentities = new Set(events.flatMap((e) => (e.workflowTaskCompletedEventAttributes ? [e.workflowTaskCompletedEventAttributes.identity] : [])));
  assert.deepEqual([...workflowTaskIdentities], [`${requestId}@${context.invokedFunctionArn}`], 'every workflow task ran in this invocation');
  assert.ok(returnedAt <= deadline, `the handler returned ${returnedAt - deadline} ms after its deadline`);

  // The repository's workers (1.24) replay what the Lambda worker (1.23) wrote, without a nondeterminism error.
  // In a child process: this one keeps a single native bridge, the handler's.
  const historyFile = join(storage, 'lambda-run-history.json');
  await writeFile(historyFile, historyToJSON(history));
  const replay = `
    import { readFile } from 'node:fs/promises';
    import { Worker } from '@temporalio/worker';
    import { workflowBundlePath } from ${JSON.stringify(pathToFileURL(join(repoRoot, 'dist', 'workers', 'bundle.js')).href)};
    const history = JSON.parse(await readFile(process.argv[1], 'utf8'));
    await Worker.runReplayHistory({ workflowBundle: { codePath: await workflowBundlePath() } }, history, 'lambda-run');
    const { version } = JSON.parse(await readFile(new URL(import.meta.resolve('@temporalio/worker/package.json')), 'utf8'));
    process.stdout.write('replayed with @temporalio/worker ' + version);
  `;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', replay, historyFile], { cwd: repoRoot });
  assert.match(stdout, /replayed with @temporalio\/worker 1\.24\./);
  await handle.terminate('test over: the Lambda invocation has returned');
});
