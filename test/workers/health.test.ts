/**
 * The worker health endpoint against real workers on a real Temporal dev
 * server: not ready while starting, ready while polling, not ready once
 * draining; and a `w2s worker` process serves it on the port it is given.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { HealthServer, healthPortFrom, healthOf, type HealthReport } from '../../workers/health.js';
import { installRuntimeLogging } from '../../workers/logging.js';
import { createWorkers, GPU_QUEUE } from '../../workers/worker.js';
import { TemporalHarness } from '../harness/temporal.js';

let temporal: TemporalHarness;

before(async () => {
  temporal = await TemporalHarness.start();
});

after(async () => {
  await temporal.stop();
});

async function probe(port: number, path: string): Promise<{ status: number; body: HealthReport }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, body: (await response.json()) as HealthReport };
}

/** Asks like a readiness probe does, until the answer is 200 (the workers poll once their first long-poll is open). */
async function untilReady(port: number): Promise<{ status: number; body: HealthReport }> {
  for (;;) {
    const answer = await probe(port, '/readyz').catch(() => undefined);
    if (answer?.status === 200) return answer;
    await delay(100);
  }
}

test('ready only while every worker polls; alive until one fails', () => {
  assert.equal(healthOf([]).status, 'starting');
  assert.equal(healthOf([{ taskQueue: 'w2s-cpu', state: 'RUNNING' }, { taskQueue: 'w2s-gpu', state: 'INITIALIZED' }]).status, 'starting');
  assert.equal(healthOf([{ taskQueue: 'w2s-cpu', state: 'RUNNING' }, { taskQueue: 'w2s-gpu', state: 'RUNNING' }]).status, 'ready');
  assert.equal(healthOf([{ taskQueue: 'w2s-cpu', state: 'RUNNING' }, { taskQueue: 'w2s-gpu', state: 'DRAINING' }]).status, 'stopping');
  assert.equal(healthOf([{ taskQueue: 'w2s-cpu', state: 'STOPPED' }, { taskQueue: 'w2s-gpu', state: 'FAILED' }]).status, 'failed');
  assert.equal(healthPortFrom(undefined), undefined);
  assert.equal(healthPortFrom('8081'), 8081);
  assert.throws(() => healthPortFrom('http'), /^Error: W2S_HEALTH_PORT: "http" is not a port \(1-65535\)$/);
  assert.throws(() => healthPortFrom('70000', '--health-port'), /--health-port: "70000" is not a port/);
});

test('probes follow a real worker from start to shutdown', async () => {
  installRuntimeLogging();
  const connection = await NativeConnection.connect({ address: temporal.address });
  let workers: Worker[] = [];
  const health = await HealthServer.start({ port: 0, host: '127.0.0.1', workers: () => workers.map((w) => ({ taskQueue: w.options.taskQueue, state: w.getState() })) });
  try {
    assert.deepEqual(await probe(health.port, '/readyz'), { status: 503, body: { status: 'starting', workers: [] } });
    assert.equal((await probe(health.port, '/livez')).status, 200);

    workers = await createWorkers({ connection, namespace: 'default', queues: [GPU_QUEUE], identity: 'health-test' });
    const running = Promise.all(workers.map((w) => w.run()));
    assert.deepEqual(await untilReady(health.port), { status: 200, body: { status: 'ready', workers: [{ taskQueue: GPU_QUEUE, state: 'RUNNING' }] } });

    workers[0]!.shutdown();
    const draining = await probe(health.port, '/readyz');
    assert.equal(draining.status, 503);
    assert.equal(draining.body.status, 'stopping');
    await running;
    assert.deepEqual(await probe(health.port, '/readyz'), { status: 503, body: { status: 'stopping', workers: [{ taskQueue: GPU_QUEUE, state: 'STOPPED' }] } });
    // A stopped worker is no reason to restart the process; a failed one is.
    assert.equal((await probe(health.port, '/livez')).status, 200);
    assert.equal((await fetch(`http://127.0.0.1:${health.port}/metrics`)).status, 404);
  } finally {
    await health.close();
    await connection.close();
  }
});

test('`w2s worker` serves the endpoint on W2S_HEALTH_PORT', async () => {
  const port = await freePort();
  const worker = await temporal.spawnWorker({ identity: 'health-probe', queues: [GPU_QUEUE], env: { W2S_HEALTH_PORT: String(port) } });
  try {
    const ready = await untilReady(port);
    assert.deepEqual(ready.body.workers, [{ taskQueue: GPU_QUEUE, state: 'RUNNING' }]);
    assert.ok(worker.log.some((line) => line.includes('health endpoint listening')));
  } finally {
    await worker.terminate();
  }
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
