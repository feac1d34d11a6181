/**
 * Small, real pipeline runs for tests: a Fashion-MNIST subset (600 training
 * and 200 test images in shards of 150), a linear teacher, quick students.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { WorkflowFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { readLineage } from '../../lineage/index.js';
import { parseRunConfig } from '../../cli/config-file.js';
import { startPipeline, type PipelineWorkflow } from '../../cli/start-run.js';
import { planRunConfig } from '../../cli/config-file.js';
import { CPU_QUEUE } from '../../schemas/names.js';
import { weakToStrong } from '../../workflows/weak-to-strong.js';
import type { LineageRecord } from '../../schemas/lineage.js';
import type { RunConfig, RunConfigInput } from '../../schemas/pipeline.js';
import { readRunView, type RunView, type TrainingView } from '../../cli/run-view.js';
import type { PipelineProgress, StageStatus } from '../../schemas/stages.js';
import { openStore } from '../../storage/index.js';

export const FASHION_MNIST = '/usr/share/datasets/fashion-mnist';

let synthetic: Promise<string> | undefined;

/**
 * A Fashion-MNIST-shaped IDX source written on the fly (28x28, 10 classes,
 * 800 training and 200 test images whose class sets a bright band), for
 * tests that need a real run but not real images. Written once per process.
 */
export function syntheticFashionMnist(): Promise<string> {
  synthetic ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'w2s-synthetic-fm-'));
    const images = (labels: readonly number[]) => {
      const header = Buffer.alloc(16);
      header.writeUInt32BE(0x803, 0);
      header.writeUInt32BE(labels.length, 4);
      header.writeUInt32BE(28, 8);
      header.writeUInt32BE(28, 12);
      const data = Buffer.alloc(labels.length * 784);
      labels.forEach((label, n) => {
        for (let p = 0; p < 784; p++) data[n * 784 + p] = Math.floor(p / 28 / 2.8) === label ? 200 + ((n * 7 + p) % 56) : (n * 37 + p * 11) % 60;
      });
      return gzipSync(Buffer.concat([header, data]));
    };
    const labelFile = (labels: readonly number[]) => {
      const header = Buffer.alloc(8);
      header.writeUInt32BE(0x801, 0);
      header.writeUInt32BE(labels.length, 4);
      return gzipSync(Buffer.concat([header, Buffer.from(labels)]));
    };
    const train = Array.from({ length: 800 }, (_, i) => (i * 7) % 10);
    const test = Array.from({ length: 200 }, (_, i) => (i * 3) % 10);
    await writeFile(join(dir, 'train-images-idx3-ubyte.gz'), images(train));
    await writeFile(join(dir, 'train-labels-idx1-ubyte.gz'), labelFile(train));
    await writeFile(join(dir, 't10k-images-idx3-ubyte.gz'), images(test));
    await writeFile(join(dir, 't10k-labels-idx1-ubyte.gz'), labelFile(test));
    return dir;
  })();
  return synthetic;
}

/** `tinyConfig` over `syntheticFashionMnist()`. */
export async function syntheticTinyConfig(storage: string, overrides: Overrides = {}): Promise<RunConfig> {
  const source = await syntheticFashionMnist();
  return tinyConfig(storage, { ...overrides, dataset: { source, format: 'idx', limit: { train: 600, test: 200 }, shardSize: 150, ...overrides.dataset } });
}

export async function localStorageRoot(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'w2s-run-'));
}

type Overrides = Partial<Omit<RunConfigInput, 'execution'>> & { execution?: RunConfigInput['execution'] };

export function tinyConfig(storage: string, overrides: Overrides = {}): RunConfig {
  const { execution, ...rest } = overrides;
  return parseRunConfig('test config', {
    name: 'test',
    seed: 0,
    storage,
    dataset: { source: FASHION_MNIST, format: 'idx', limit: { train: 600, test: 200 }, shardSize: 150 },
    teacher: { model: 'linear', epochs: 2, batchSize: 32 },
    strong: { model: 'cnn-small', epochs: 2, batchSize: 32 },
    students: [{ method: 'ceiling' }, { method: 'adaptconf' }],
    ...rest,
    // Short heartbeat timeouts let a lost worker's training move on within seconds.
    execution: { heartbeatSeconds: 0.5, heartbeatTimeoutSeconds: 4, checkpointEverySteps: 4, ...execution },
  });
}

/** Starts a run as `w2s run` does: the config planned here, the plan submitted. */
export async function startRun(client: Client, config: RunConfig, runId: string, workflow: PipelineWorkflow = 'weakToStrong'): Promise<WorkflowHandle> {
  return startPipeline(client, planRunConfig(config, { runId }), workflow);
}

/** Starts a run as another client may: a config as written, unchecked, which the run's validate stage plans. */
export async function submitConfig(client: Client, config: unknown, runId: string): Promise<WorkflowHandle<typeof weakToStrong>> {
  return client.workflow.start(weakToStrong, { taskQueue: CPU_QUEUE, workflowId: runId, args: [{ config }] });
}

/** What a test waits on: the progress query's answer, with each training's last heartbeat (as `w2s status` reads them). */
export interface ObservedProgress extends Omit<PipelineProgress, 'stages' | 'stageTimes' | 'runId'> {
  readonly stages: Readonly<Record<string, StageStatus>>;
  readonly training: Readonly<Record<string, TrainingView>>;
}

/** Polls the run's progress until `ready` holds (state observed, not time slept), or the run ends. */
export async function waitForProgress(handle: WorkflowHandle, ready: (p: ObservedProgress) => boolean, timeoutMs = 300_000): Promise<ObservedProgress> {
  return pollRunView(handle, timeoutMs, (view) => {
    const progress: ObservedProgress | undefined = view.phase
      ? { phase: view.phase, stages: Object.fromEntries(view.stages.map((s) => [s.name, s.status])), labeling: view.labeling, training: view.training, rows: view.rows }
      : undefined;
    return progress && ready(progress) ? progress : undefined;
  });
}

/**
 * Polls the run until the training named `name` (a model's, or a pretraining stage's) heartbeats a state
 * where `ready` holds. Reads only heartbeats, so it also serves workflows without a progress query (`pretrain`).
 */
export async function waitForTraining(handle: WorkflowHandle, name: string, ready: (t: TrainingView) => boolean, timeoutMs = 300_000): Promise<TrainingView> {
  return pollRunView(handle, timeoutMs, (view) => {
    const training = view.training[name];
    return training && ready(training) ? training : undefined;
  });
}

/** What `observe` finds in the run's view (as `w2s status` reads it), polled until it finds something or the run ends. */
async function pollRunView<T>(handle: WorkflowHandle, timeoutMs: number, observe: (view: RunView) => T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  // Every call here completes before the next: a pending long poll (such as `handle.result()`) would
  // outlive this function, and its retry after a server outage would fire on a closed connection.
  while (Date.now() < deadline) {
    const view = await readRunView(handle).catch(() => undefined);
    const seen = view ? observe(view) : undefined;
    if (seen !== undefined) return seen;
    if (view && view.status !== 'RUNNING') throw new Error(`run ${handle.workflowId} ended (${view.status}) before the awaited progress (last: ${JSON.stringify({ phase: view.phase, stages: view.stages.map((s) => [s.name, s.status]), training: view.training })})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`run ${handle.workflowId}: awaited progress not seen in ${timeoutMs} ms`);
}

export async function lineageOf(storage: string, runId: string): Promise<LineageRecord[]> {
  return readLineage(openStore(storage), runId);
}

/** The run's failure, as the workflow reports it: the stage's error message and whether it may be retried. */
export async function failureOf(run: Promise<unknown>): Promise<{ message: string; nonRetryable?: boolean }> {
  const error = await run.then(() => assert.fail('the run completed'), (e: unknown) => e);
  assert.ok(error instanceof WorkflowFailedError, String(error));
  const cause = (error.cause as { cause?: { message: string; nonRetryable?: boolean } } | undefined)?.cause;
  assert.ok(cause, 'the run failed in a stage');
  return cause;
}
