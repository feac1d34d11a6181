/**
 * A small finished run in a real store: real objects (Arrow shards, a
 * manifest, model bytes, reports) and the lineage records the stages would
 * have written for them. The run covers a cache hit (ingest), a stage whose
 * first attempt failed and whose second resumed from a checkpoint
 * (train-weak), labeling fan-out, a student, evaluation and the report.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LineageRecordSchema, type LineageObject, type LineageRecord } from '../../schemas/lineage.js';
import { encodeImageShard } from '../../storage/arrow/image-shard.js';
import { encodeSoftLabelShard } from '../../storage/arrow/soft-label-shard.js';
import { LocalStore } from '../../storage/local.js';
import type { ObjectStore } from '../../storage/object-store.js';

export const RUN_ID = 'fashion-demo-1a2b';
const DATASET = 'ds-0123abcd';
const SHAPE = [4, 4, 1] as const;
const CLASSES = ['tee', 'trouser', 'bag'];
const ROWS = 6;
const T0 = Date.parse('2025-03-01T10:00:00.000Z');

export interface TempStore {
  readonly store: LocalStore;
  readonly root: string;
  dispose(): Promise<void>;
}

export async function tempStore(): Promise<TempStore> {
  const root = await mkdtemp(join(tmpdir(), 'w2s-lineage-'));
  return { store: new LocalStore(root), root, dispose: () => rm(root, { recursive: true, force: true }) };
}

export interface DemoRun {
  readonly runId: string;
  readonly records: readonly LineageRecord[];
  /** The run's objects by a short name (`manifest`, `weakShard`, `teacher`...). */
  readonly objects: Readonly<Record<string, LineageObject>>;
}

function imageShard(split: string, offset: number): Uint8Array {
  const index = Uint32Array.from({ length: ROWS }, (_, i) => offset + i);
  const labels = Int16Array.from({ length: ROWS }, (_, i) => i % CLASSES.length);
  const images = Uint8Array.from({ length: ROWS * 16 }, (_, i) => (i * 37 + offset) % 256);
  return encodeImageShard({ metadata: { datasetId: DATASET, split, shape: [...SHAPE], classNames: CLASSES }, index, labels, images });
}

function softLabels(split: string, offset: number, teacherSha256: string): Uint8Array {
  const index = Uint32Array.from({ length: ROWS }, (_, i) => offset + i);
  const logits = Float32Array.from({ length: ROWS * CLASSES.length }, (_, i) => Math.sin(i + offset));
  return encodeSoftLabelShard({ metadata: { teacherSha256, numClasses: CLASSES.length, datasetId: DATASET, split }, index, logits });
}

async function put(store: ObjectStore, key: string, data: Uint8Array | string, role: string): Promise<LineageObject> {
  const info = await store.put(key, data);
  return { key: info.key, sha256: info.sha256, bytes: info.size, role };
}

function as(object: LineageObject, role: string): LineageObject {
  return { ...object, role };
}

interface Attempt {
  readonly stage: string;
  readonly kind: string;
  readonly attempt?: number;
  readonly startS: number;
  readonly endS: number;
  readonly inputs: readonly LineageObject[];
  readonly outputs?: readonly LineageObject[];
  readonly cached?: boolean;
  readonly failed?: LineageRecord['error'];
  readonly metrics?: Record<string, number>;
  readonly resumedFromStep?: number;
  readonly worker?: string;
  readonly backend?: boolean;
}

function record(a: Attempt): LineageRecord {
  const worker = a.worker ?? 'cpu-1@node-a';
  return LineageRecordSchema.parse({
    version: 1,
    runId: RUN_ID,
    workflowId: RUN_ID,
    workflowRunId: '5f1c2d3e-0000-4000-8000-000000000001',
    workflowType: 'weakToStrong',
    stage: a.stage,
    kind: a.kind,
    attempt: a.attempt ?? 1,
    status: a.failed ? 'failed' : 'completed',
    cached: a.cached ?? false,
    cacheKey: `${a.stage}-key`.padEnd(64, '0'),
    inputs: a.inputs,
    outputs: a.outputs ?? [],
    config: { stage: a.stage },
    codeVersion: '0.1.0+abcdef012345',
    backend: a.backend === false ? null : { name: 'wasm', device: 'cpu', package: '@tensorflow/tfjs-backend-wasm' },
    worker: { identity: worker, taskQueue: worker.startsWith('gpu') ? 'w2s-gpu' : 'w2s-cpu', host: worker.split('@')[1] ?? 'host', pid: 4242 },
    startedAt: new Date(T0 + a.startS * 1000).toISOString(),
    endedAt: new Date(T0 + a.endS * 1000).toISOString(),
    metrics: a.metrics ?? {},
    ...(a.resumedFromStep !== undefined ? { resumedFromStep: a.resumedFromStep } : {}),
    ...(a.failed ? { error: a.failed } : {}),
  });
}

export function recordKey(r: Pick<LineageRecord, 'runId' | 'stage' | 'attempt'>): string {
  return `lineage/${r.runId}/${r.stage}-${r.attempt}.json`;
}

/** Writes the run's objects and records into `store`; records are written newest first, so readers must sort. */
export async function writeDemoRun(store: ObjectStore): Promise<DemoRun> {
  const source = await put(store, 'sources/fashion/images.bin', Uint8Array.from({ length: 300 }, (_, i) => i % 251), 'source');
  const manifest = await put(store, `datasets/${DATASET}/manifest.json`, `${JSON.stringify({ datasetId: DATASET, classes: CLASSES })}\n`, 'manifest');
  const weakShard = await put(store, `datasets/${DATASET}/weak/shard-00000.arrow`, imageShard('weak', 0), 'shard');
  const transferShard = await put(store, `datasets/${DATASET}/transfer/shard-00000.arrow`, imageShard('transfer', 100), 'shard');
  const testShard = await put(store, `datasets/${DATASET}/test/shard-00000.arrow`, imageShard('test', 200), 'shard');
  const teacher = await put(store, `runs/${RUN_ID}/train-weak/model-weak.bin`, 'weak teacher weights', 'model');
  const transferLogits = await put(store, `runs/${RUN_ID}/label-transfer-00000/soft-labels.arrow`, softLabels('transfer', 100, teacher.sha256), 'soft-labels');
  const testLogits = await put(store, `runs/${RUN_ID}/label-test-00000/soft-labels.arrow`, softLabels('test', 200, teacher.sha256), 'soft-labels');
  const student = await put(store, `runs/${RUN_ID}/train-adaptconf/model-adaptconf.bin`, 'adaptconf student weights', 'model');
  const table = await put(store, `runs/${RUN_ID}/report/table.json`, '[{"name":"weak"},{"name":"adaptconf"}]\n', 'table');
  const markdown = await put(store, `runs/${RUN_ID}/report/report.md`, '# demo\n', 'report');
  const html = await put(store, `runs/${RUN_ID}/report/report.html`, '<h1>demo</h1>\n', 'report');
  const shards = { weakShard, transferShard, testShard };

  const records = [
    record({ stage: 'ingest', kind: 'ingest', startS: 0, endS: 2, cached: true, backend: false, inputs: [source], outputs: [manifest, weakShard, transferShard, testShard], metrics: { rows: 3 * ROWS } }),
    record({ stage: 'train-weak', kind: 'train', attempt: 1, startS: 3, endS: 40, worker: 'gpu-1@node-b', inputs: [manifest, weakShard], failed: { type: 'WorkerLost', message: 'heartbeat timeout after 60 s' } }),
    record({ stage: 'train-weak', kind: 'train', attempt: 2, startS: 45, endS: 70, worker: 'gpu-2@node-c', inputs: [manifest, weakShard], outputs: [teacher], resumedFromStep: 40, metrics: { steps: 80, finalLoss: 0.61 } }),
    record({ stage: 'label-transfer-00000', kind: 'label', startS: 71, endS: 74, inputs: [as(teacher, 'teacher'), manifest, transferShard], outputs: [transferLogits], metrics: { rows: ROWS } }),
    record({ stage: 'label-test-00000', kind: 'label', startS: 71, endS: 75, inputs: [as(teacher, 'teacher'), manifest, testShard], outputs: [testLogits], metrics: { rows: ROWS } }),
    record({ stage: 'train-adaptconf', kind: 'train', startS: 76, endS: 120, worker: 'gpu-1@node-b', inputs: [manifest, transferShard, transferLogits], outputs: [student], metrics: { steps: 120, finalLoss: 0.42 } }),
    record({ stage: 'evaluate-weak', kind: 'evaluate', startS: 121, endS: 125, inputs: [teacher, manifest, testShard, testLogits], metrics: { accuracy: 0.61, agreement: 1 } }),
    record({ stage: 'evaluate-adaptconf', kind: 'evaluate', startS: 121, endS: 126, inputs: [student, manifest, testShard, testLogits], metrics: { accuracy: 0.7, agreement: 0.8 } }),
    record({ stage: 'report', kind: 'report', startS: 127, endS: 128, backend: false, inputs: [teacher, student], outputs: [table, markdown, html], metrics: { 'accuracy.weak': 0.61, 'accuracy.adaptconf': 0.7 } }),
  ];
  for (const r of [...records].reverse()) await store.put(recordKey(r), `${JSON.stringify(r, null, 2)}\n`);
  return { runId: RUN_ID, records, objects: { source, manifest, ...shards, teacher, transferLogits, testLogits, student, table, markdown, html } };
}
