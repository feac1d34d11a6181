/**
 * One replica of a data-parallel run, in its own worker thread with its own
 * TensorFlow.js backend (the wasm backend is single-threaded in Node). It
 * builds the same model from the same seed as every other replica, computes
 * gradients on its shard of each batch, and applies the averaged gradients
 * the coordinator sends back, so all replicas hold identical weights.
 */
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { isBadInputError } from '../../core/errors.js';
import { initBackend } from '../backend.js';
import { studentLoss } from '../losses/index.js';
import type { Model } from '../models/model.js';
import { buildModel } from '../models/registry.js';
import type { StateUpdate } from '../nn/running-stats.js';
import { applyGradients, computeGradients, createOptimizer, type Optimizer } from '../train/index.js';
import type { Layout, ReplicaSpec, Reply, Request, ShardBatch } from './protocol.js';

interface Replica {
  readonly spec: ReplicaSpec;
  readonly model: Model;
  readonly optimizer: Optimizer;
  readonly trainable: Layout;
  readonly state: Layout;
}

let replica: Replica | undefined;

function layoutOf(entries: ReadonlyArray<{ name: string; variable: tf.Variable }>): Layout {
  return { names: entries.map((e) => e.name), sizes: entries.map((e) => e.variable.size) };
}

/** The tensors named by `layout`, back to back; a name without a tensor packs zeros (no gradient reached it). */
function pack(layout: Layout, read: (name: string) => tf.Tensor | undefined): Float32Array {
  const out = new Float32Array(layout.sizes.reduce((a, b) => a + b, 0));
  let offset = 0;
  layout.names.forEach((name, i) => {
    const tensor = read(name);
    if (tensor) out.set(tensor.dataSync() as Float32Array, offset);
    offset += layout.sizes[i]!;
  });
  return out;
}

function unpack(layout: Layout, values: Float32Array, shapeOf: (name: string) => number[]): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  let offset = 0;
  layout.names.forEach((name, i) => {
    const size = layout.sizes[i]!;
    out.set(name, tf.tensor(values.subarray(offset, offset + size), shapeOf(name), 'float32'));
    offset += size;
  });
  return out;
}

function current(): Replica {
  if (!replica) throw new Error('replica used before init');
  return replica;
}

async function init(spec: ReplicaSpec): Promise<Reply> {
  const backend = await initBackend(spec.backend);
  const model = buildModel(spec.model, { inputShape: spec.inputShape, numClasses: spec.numClasses, seed: spec.seed });
  const optimizer = createOptimizer(spec.optimizer, model.params.trainable());
  replica = { spec, model, optimizer, trainable: layoutOf(model.params.trainable()), state: layoutOf(model.params.state()) };
  return { kind: 'ready', backend: `${backend.name} (${backend.device})`, trainable: replica.trainable, state: replica.state };
}

function gradients(batch: ShardBatch, progress: number): Reply {
  const { model, spec } = current();
  const [h, w, c] = spec.inputShape;
  const x = tf.tensor4d(batch.images, [batch.rows, h, w, c]);
  const labels = batch.labels ? tf.tensor1d(batch.labels, 'int32') : undefined;
  const teacherLogits = batch.teacherLogits ? tf.tensor2d(batch.teacherLogits, [batch.rows, spec.numClasses]) : undefined;
  try {
    const computed = computeGradients(model, (inputs) => studentLoss(spec.loss, inputs), { x, ...(labels ? { labels } : {}), ...(teacherLogits ? { teacherLogits } : {}) }, progress);
    const byVariable = new Map<tf.Variable, tf.Tensor>(computed.stateUpdates.map((u: StateUpdate) => [u.variable, u.value]));
    const stateTensor = (name: string) => {
      const variable = model.params.get(name)!.variable;
      return byVariable.get(variable) ?? variable;
    };
    const reply: Reply = {
      kind: 'gradients',
      gradients: pack(current().trainable, (name) => computed.gradients.get(name)),
      state: pack(current().state, stateTensor),
      loss: computed.loss,
      predictions: computed.predictions,
      rows: batch.rows,
    };
    tf.dispose([...computed.gradients.values(), ...computed.stateUpdates.map((u) => u.value)]);
    return reply;
  } finally {
    tf.dispose([x, ...(labels ? [labels] : []), ...(teacherLogits ? [teacherLogits] : [])]);
  }
}

function apply(gradientValues: Float32Array, stateValues: Float32Array, lr: number, step: number): Reply {
  const { model, optimizer, trainable, state } = current();
  const shapeOf = (name: string) => model.params.get(name)!.variable.shape;
  const gradients = unpack(trainable, gradientValues, shapeOf);
  const stateUpdates = [...unpack(state, stateValues, shapeOf)].map(([name, value]) => ({ variable: model.params.get(name)!.variable, value }));
  applyGradients(optimizer, { gradients, stateUpdates, loss: {}, predictions: new Int32Array(0), batchSize: 0 }, lr, step);
  return { kind: 'applied' };
}

function predict(images: Float32Array, rows: number, batchSize: number): Reply {
  const { model, spec } = current();
  const [h, w, c] = spec.inputShape;
  const logits = new Float32Array(rows * spec.numClasses);
  for (let start = 0; start < rows; start += batchSize) {
    const n = Math.min(batchSize, rows - start);
    const out = tf.tidy(() => model.apply(tf.tensor4d(images.subarray(start * h * w * c, (start + n) * h * w * c), [n, h, w, c]), { training: false }));
    logits.set(out.dataSync() as Float32Array, start * spec.numClasses);
    out.dispose();
  }
  return { kind: 'logits', logits };
}

function variables(): Array<{ name: string; variable: tf.Variable }> {
  const { model, optimizer } = current();
  return [...model.params.all(), ...optimizer.slots];
}

function readVariables(): Reply {
  const all = variables();
  return { kind: 'variables', names: all.map((v) => v.name), values: all.map((v) => Float32Array.from(v.variable.dataSync() as Float32Array)) };
}

function writeVariables(names: readonly string[], values: readonly Float32Array[]): Reply {
  const byName = new Map(variables().map((v) => [v.name, v.variable]));
  names.forEach((name, i) => {
    const variable = byName.get(name);
    if (!variable) throw new Error(`replica has no variable ${name}`);
    const value = tf.tensor(values[i]!, variable.shape, 'float32');
    variable.assign(value);
    value.dispose();
  });
  return { kind: 'written' };
}

async function handle(request: Request): Promise<Reply> {
  switch (request.kind) {
    case 'init':
      return init(request.spec);
    case 'gradients':
      return gradients(request.batch, request.progress);
    case 'apply':
      return apply(request.gradients, request.state, request.lr, request.step);
    case 'predict':
      return predict(request.images, request.rows, request.batchSize);
    case 'read-variables':
      return readVariables();
    case 'write-variables':
      return writeVariables(request.names, request.values);
    case 'memory':
      return { kind: 'memory', numTensors: tf.memory().numTensors };
  }
}

function errorReply(error: unknown): Reply {
  if (isBadInputError(error)) {
    return { kind: 'error', message: error.message, badInput: { where: error.where, problem: error.message.slice(error.where.length + 2) } };
  }
  return error instanceof Error ? { kind: 'error', message: error.message, ...(error.stack ? { stack: error.stack } : {}) } : { kind: 'error', message: String(error) };
}

if (!parentPort) throw new Error('replica-worker runs as a worker thread');
const port = parentPort;
port.on('message', (request: Request) => {
  handle(request).then(
    (reply) => {
      const transfer = reply.kind === 'gradients' ? [reply.gradients.buffer, reply.state.buffer] : reply.kind === 'logits' ? [reply.logits.buffer] : [];
      port.postMessage(reply, transfer as ArrayBuffer[]);
    },
    (error: unknown) => port.postMessage(errorReply(error)),
  );
});
