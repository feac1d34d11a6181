/**
 * Data-parallel training and inference over worker threads, one model
 * replica per worker, each with its own TensorFlow.js backend (the wasm
 * backend runs one thread per instance in Node, so this is how a second core
 * is put to work).
 *
 * A step splits the batch into contiguous shards, one per replica; each
 * replica computes gradients on its shard; the coordinator averages them,
 * weighted by shard size, always in replica order, and sends the average
 * back; every replica applies it with the same optimizer. Replicas therefore
 * hold identical weights, and a run is bit-identical from one execution to
 * the next. Batch-norm statistics are per shard (as in PyTorch's
 * DistributedDataParallel without SyncBatchNorm); the running statistics are
 * averaged the same way as the gradients.
 */
import { Worker } from 'node:worker_threads';
import { BadInputError } from '../../core/errors.js';
import type { Layout, ReplicaSpec, Reply, Request, ShardBatch } from './protocol.js';

export type { ReplicaSpec, ShardBatch } from './protocol.js';

export interface ParallelStepResult {
  /** Loss parts averaged over the batch (weighted by shard size). */
  readonly loss: Record<string, number>;
  /** Predicted class per example, in batch order. */
  readonly predictions: Int32Array;
}

type ReplyOf<K extends Reply['kind']> = Extract<Reply, { kind: K }>;

/** A replica's error on this side: a BadInputError stays one (the pipeline must not retry it). */
function replicaError(index: number, reply: ReplyOf<'error'>): Error {
  const error = reply.badInput ? new BadInputError(reply.badInput.where, reply.badInput.problem) : new Error(`replica ${index}: ${reply.message}`);
  if (reply.stack) error.stack = `${error.message}\n  in replica ${index}:\n${reply.stack}`;
  return error;
}

class ReplicaHandle {
  private pending: { resolve: (reply: Reply) => void; reject: (error: Error) => void } | undefined;
  private failure: Error | undefined;

  constructor(
    readonly index: number,
    private readonly worker: Worker,
  ) {
    worker.on('message', (reply: Reply) => {
      const pending = this.pending;
      this.pending = undefined;
      if (!pending) return;
      if (reply.kind === 'error') pending.reject(replicaError(index, reply));
      else pending.resolve(reply);
    });
    const fail = (error: Error) => {
      this.failure = error;
      this.pending?.reject(error);
      this.pending = undefined;
    };
    worker.on('error', (error: Error) => fail(new Error(`replica ${index} crashed: ${error.message}`)));
    worker.on('exit', (code) => fail(new Error(`replica ${index} exited with code ${code}`)));
  }

  call<K extends Reply['kind']>(request: Request, expect: K, transfer: ArrayBuffer[] = []): Promise<ReplyOf<K>> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending) return Promise.reject(new Error(`replica ${this.index}: a request is already in flight`));
    return new Promise<Reply>((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage(request, transfer);
    }).then((reply) => {
      if (reply.kind !== expect) throw new Error(`replica ${this.index}: expected ${expect}, got ${reply.kind}`);
      return reply as ReplyOf<K>;
    });
  }

  async terminate(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}

/** Row ranges of `rows` split into `parts` contiguous shards, the first ones one row longer when it does not divide. */
export function shardRanges(rows: number, parts: number): Array<[number, number]> {
  const base = Math.floor(rows / parts);
  const extra = rows % parts;
  const ranges: Array<[number, number]> = [];
  let start = 0;
  for (let i = 0; i < parts; i++) {
    const end = start + base + (i < extra ? 1 : 0);
    ranges.push([start, end]);
    start = end;
  }
  return ranges;
}

/** sum_i weights[i] * arrays[i], accumulated in float32 in index order (the fixed order that makes runs repeatable). */
export function weightedSum(arrays: readonly Float32Array[], weights: readonly number[]): Float32Array {
  const out = new Float32Array(arrays[0]!.length);
  arrays.forEach((array, i) => {
    const w = weights[i]!;
    if (array.length !== out.length) throw new Error(`weightedSum: array ${i} has ${array.length} values, expected ${out.length}`);
    for (let j = 0; j < out.length; j++) out[j] = out[j]! + w * array[j]!;
  });
  return out;
}

export class DataParallelTrainer {
  private constructor(
    private readonly replicas: readonly ReplicaHandle[],
    readonly spec: ReplicaSpec,
    /** Backend of each replica, as it reported it. */
    readonly backends: readonly string[],
    readonly trainable: Layout,
    readonly state: Layout,
  ) {}

  /** Starts `replicas` worker threads, each building the model from the spec's seed. */
  static async start(spec: ReplicaSpec, replicas = 2): Promise<DataParallelTrainer> {
    if (!Number.isInteger(replicas) || replicas < 1) throw new Error(`data-parallel: replicas must be a positive integer, got ${replicas}`);
    const handles = Array.from({ length: replicas }, (_, i) => new ReplicaHandle(i, new Worker(new URL('./replica-worker.js', import.meta.url))));
    try {
      const ready = await Promise.all(handles.map((h) => h.call({ kind: 'init', spec }, 'ready')));
      const first = ready[0]!;
      return new DataParallelTrainer(handles, spec, ready.map((r) => r.backend), first.trainable, first.state);
    } catch (error) {
      await Promise.all(handles.map((h) => h.terminate()));
      throw error;
    }
  }

  get replicaCount(): number {
    return this.replicas.length;
  }

  /** Splits a batch into one contiguous shard per replica. */
  split(batch: ShardBatch): ShardBatch[] {
    const imageSize = batch.images.length / batch.rows;
    const classes = this.spec.numClasses;
    return shardRanges(batch.rows, this.replicas.length).map(([start, end]) => ({
      images: batch.images.subarray(start * imageSize, end * imageSize),
      rows: end - start,
      ...(batch.labels ? { labels: batch.labels.subarray(start, end) } : {}),
      ...(batch.teacherLogits ? { teacherLogits: batch.teacherLogits.subarray(start * classes, end * classes) } : {}),
    }));
  }

  /** One optimizer step on `batch` (a whole batch, or shards from `split`, one per replica). */
  async step(batch: ShardBatch | readonly ShardBatch[], lr: number, step: number, progress: number): Promise<ParallelStepResult> {
    const shards = Array.isArray(batch) ? (batch as readonly ShardBatch[]) : this.split(batch as ShardBatch);
    if (shards.length !== this.replicas.length) throw new Error(`data-parallel step: ${shards.length} shards for ${this.replicas.length} replicas`);
    if (shards.some((s) => s.rows === 0)) throw new Error(`data-parallel step: batch of ${shards.reduce((n, s) => n + s.rows, 0)} rows leaves a replica without examples`);
    const results = await Promise.all(this.replicas.map((r, i) => r.call({ kind: 'gradients', batch: shards[i]!, progress }, 'gradients')));
    const rows = results.reduce((n, r) => n + r.rows, 0);
    const weights = results.map((r) => r.rows / rows);
    const gradients = weightedSum(results.map((r) => r.gradients), weights);
    const state = weightedSum(results.map((r) => r.state), weights);
    await Promise.all(this.replicas.map((r) => r.call({ kind: 'apply', gradients, state, lr, step }, 'applied')));

    const loss: Record<string, number> = {};
    results.forEach((r, i) => {
      for (const [name, value] of Object.entries(r.loss)) loss[name] = (loss[name] ?? 0) + weights[i]! * value;
    });
    const predictions = new Int32Array(rows);
    let offset = 0;
    for (const r of results) {
      predictions.set(r.predictions, offset);
      offset += r.rows;
    }
    return { loss, predictions };
  }

  /** Inference logits for `rows` images, sharded across replicas; rows stay in order. */
  async predict(images: Float32Array, rows: number, batchSize = 256): Promise<Float32Array> {
    const imageSize = images.length / rows;
    const ranges = shardRanges(rows, this.replicas.length).filter(([s, e]) => e > s);
    const parts = await Promise.all(
      ranges.map(([start, end], i) => this.replicas[i]!.call({ kind: 'predict', images: images.subarray(start * imageSize, end * imageSize), rows: end - start, batchSize }, 'logits')),
    );
    const logits = new Float32Array(rows * this.spec.numClasses);
    parts.forEach((part, i) => logits.set(part.logits, ranges[i]![0] * this.spec.numClasses));
    return logits;
  }

  /** Every variable (weights, batch-norm statistics, optimizer slots) of replica `index`, by name. */
  async readVariables(index = 0): Promise<Map<string, Float32Array>> {
    const reply = await this.replicas[index]!.call({ kind: 'read-variables' }, 'variables');
    return new Map(reply.names.map((name, i) => [name, reply.values[i]!]));
  }

  /** Sets variables on every replica (restoring a checkpoint, loading a teacher). */
  async writeVariables(values: ReadonlyMap<string, Float32Array>): Promise<void> {
    const names = [...values.keys()];
    const arrays = names.map((n) => values.get(n)!);
    await Promise.all(this.replicas.map((r) => r.call({ kind: 'write-variables', names, values: arrays }, 'written')));
  }

  /** Live tensors in each replica (for leak checks). */
  async liveTensors(): Promise<number[]> {
    return Promise.all(this.replicas.map(async (r) => (await r.call({ kind: 'memory' }, 'memory')).numTensors));
  }

  async close(): Promise<void> {
    await Promise.all(this.replicas.map((r) => r.terminate()));
  }
}
