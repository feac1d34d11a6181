/**
 * What an operator sees of a worker during a real run: one structured log
 * line per stage start and end (run, stage, activity type, attempt, and at
 * the end the duration and outcome), and a Prometheus endpoint with the
 * Temporal SDK's own metrics and the training stage's images/s, epoch and
 * checkpoint times. A `w2s worker` process runs a small pipeline on a real
 * dev server; its stderr and its metrics port are read afterwards.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { TRAINING_METRICS } from '../../activities/metrics.js';
import type { PipelineResult } from '../../schemas/stages.js';
import { localStorageRoot, startRun, tinyConfig } from '../harness/pipeline.js';
import { TemporalHarness, type WorkerProcess } from '../harness/temporal.js';

interface StageLine {
  readonly event: 'stage-start' | 'stage-end';
  readonly runId: string;
  readonly stage: string;
  readonly activityType: string;
  readonly attempt: number;
  readonly durationMs?: number;
  readonly outcome?: string;
  readonly error?: string;
}

function stageLines(runId: string): StageLine[] {
  return worker.log.flatMap((line) => {
    try {
      const parsed = JSON.parse(line) as Partial<StageLine>;
      return (parsed.event === 'stage-start' || parsed.event === 'stage-end') && parsed.runId === runId ? [parsed as StageLine] : [];
    } catch {
      return [];
    }
  });
}

/**
 * The worker's stderr reaches this process through a pipe, and a run's result
 * through the server: waits (up to a deadline) until every stage of `runId`
 * that started has its end line.
 */
async function settledStageLines(runId: string): Promise<StageLine[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const lines = stageLines(runId);
    const starts = lines.filter((l) => l.event === 'stage-start').length;
    if (starts > 0 && starts === lines.length - starts) return lines;
    if (Date.now() > deadline) return lines;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A port nothing listens on: bound, read, released. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let temporal: TemporalHarness;
let worker: WorkerProcess;
let metricsPort: number;
let result: PipelineResult;

before(async () => {
  temporal = await TemporalHarness.start();
  metricsPort = await freePort();
  worker = await temporal.spawnWorker({ identity: 'observed', env: { W2S_METRICS_PORT: String(metricsPort) } });
  const config = tinyConfig(await localStorageRoot(), { students: [{ method: 'adaptconf' }] });
  result = (await (await startRun(temporal.client, config, 'observed-run')).result()) as PipelineResult;
});

after(async () => {
  await worker.terminate();
  await temporal.stop();
});

test('each stage logs one start and one end line with run, stage, activity type, attempt, duration and outcome', async () => {
  const ofRun = await settledStageLines(result.runId);
  const starts = ofRun.filter((l) => l.event === 'stage-start');
  const ends = ofRun.filter((l) => l.event === 'stage-end');
  assert.ok(starts.length >= 5, `ingest, train-weak, labels, train-adaptconf, evaluations, report: ${starts.length} starts`);
  assert.deepEqual(ends.map((l) => `${l.stage}#${l.attempt}`).sort(), starts.map((l) => `${l.stage}#${l.attempt}`).sort(), 'every start has its end');

  const training = ends.find((l) => l.stage === 'train-adaptconf');
  assert.ok(training, `the student's training is logged: ${ends.map((l) => l.stage).join(', ')}`);
  assert.equal(training.activityType, 'trainModel');
  assert.equal(training.attempt, 1);
  assert.equal(training.outcome, 'completed');
  assert.ok(typeof training.durationMs === 'number' && training.durationMs > 0, `a duration: ${training.durationMs}`);
  assert.ok(ends.every((l) => l.outcome === 'completed'), 'nothing failed in this run');
});

test('the metrics port serves the SDK metrics and the training metrics in Prometheus format', async () => {
  const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
  assert.equal(response.status, 200);
  const text = await response.text();
  const series = (name: string) => text.split('\n').filter((line) => line.startsWith(name));

  // The SDK's own: activity execution latency per activity type, worker task slots.
  assert.ok(series('temporal_activity_execution_latency').some((l) => l.includes('activity_type="trainModel"')), 'SDK activity latency by type');
  assert.ok(series('temporal_worker_task_slots_available').length > 0, 'SDK slot gauges');

  const epochs = series(`${TRAINING_METRICS.epochSeconds}_count`).filter((l) => l.includes('stage="train-adaptconf"'));
  assert.equal(epochs.length, 1, `one epoch-time series for the student:\n${series(TRAINING_METRICS.epochSeconds).join('\n')}`);
  assert.equal(Number(epochs[0]?.split(' ').pop()), 2, 'two epochs recorded (strong.epochs is 2)');
  const checkpoints = series(`${TRAINING_METRICS.checkpointSeconds}_count`).filter((l) => l.includes('stage="train-adaptconf"'));
  assert.ok(Number(checkpoints[0]?.split(' ').pop()) >= 1, `checkpoint times recorded:\n${series(TRAINING_METRICS.checkpointSeconds).join('\n')}`);
  const throughput = series(TRAINING_METRICS.imagesPerSecond).find((l) => l.includes('stage="train-adaptconf"'));
  assert.ok(throughput && Number(throughput.split(' ').pop()) > 0, `images/s of the student: ${throughput}`);
});

test('a failing stage logs its end with outcome failed and the error', async () => {
  const config = tinyConfig(await localStorageRoot(), { dataset: { source: '/nonexistent/fashion-mnist', format: 'idx' } });
  await assert.rejects((await startRun(temporal.client, config, 'observed-bad')).result());
  const ends = (await settledStageLines('observed-bad')).filter((l) => l.event === 'stage-end');
  assert.deepEqual(
    ends.map((l) => [l.stage, l.outcome]),
    [['validateRun', 'failed']],
    'the validate stage fails on the missing source, and nothing after it runs',
  );
  assert.match(ends[0]?.error ?? '', /dataset\.source: \/nonexistent\/fashion-mnist does not exist/);
});
