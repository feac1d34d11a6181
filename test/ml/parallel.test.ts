/**
 * Data-parallel training over worker threads: shards and averaging in a
 * fixed order, replicas that stay identical, runs that repeat bit for bit,
 * agreement with the same computation done in one thread, sharded inference,
 * no leaked tensors, and errors that name the replica.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../ml/backend.js';
import { Rng } from '../../core/random.js';
import { isBadInputError } from '../../core/errors.js';
import { buildModel } from '../../ml/models/registry.js';
import { studentLoss } from '../../ml/losses/index.js';
import { applyGradients, computeGradients, createOptimizer } from '../../ml/train/index.js';
import { DataParallelTrainer, shardRanges, weightedSum, type ReplicaSpec, type ShardBatch } from '../../ml/parallel/index.js';
import { LossConfigSchema, OptimizerConfigSchema } from '../../schemas/training.js';

const SPEC: ReplicaSpec = {
  model: 'cnn',
  inputShape: [12, 12, 1],
  numClasses: 10,
  seed: 5,
  optimizer: OptimizerConfigSchema.parse({ name: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 5e-4 }),
  loss: LossConfigSchema.parse({ method: 'ceiling' }),
  backend: 'wasm',
};

function batch(step: number, rows = 10): ShardBatch {
  const rng = Rng.keyed(5, 'parallel-test', step);
  const images = new Float32Array(rows * 144);
  for (let i = 0; i < images.length; i++) images[i] = rng.normal();
  return { images, rows, labels: Int32Array.from({ length: rows }, () => rng.int(10)) };
}

async function trainInParallel(replicas: number, steps: number): Promise<{ trainer: DataParallelTrainer; losses: number[] }> {
  const trainer = await DataParallelTrainer.start(SPEC, replicas);
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) losses.push((await trainer.step(batch(s), 0.05, s + 1, s / steps)).loss.total!);
  return { trainer, losses };
}

function assertSameVariables(a: Map<string, Float32Array>, b: Map<string, Float32Array>, label: string): void {
  assert.deepEqual([...a.keys()], [...b.keys()], `${label}: names`);
  for (const [name, values] of a) assert.deepEqual(b.get(name), values, `${label}: ${name}`);
}

test('shards are contiguous and cover the batch; averaging is weighted and ordered', () => {
  assert.deepEqual(shardRanges(10, 2), [[0, 5], [5, 10]]);
  assert.deepEqual(shardRanges(7, 3), [[0, 3], [3, 5], [5, 7]]);
  const sum = weightedSum([Float32Array.of(1, 2), Float32Array.of(3, 6)], [0.25, 0.75]);
  assert.deepEqual(Array.from(sum), [2.5, 5]);
  assert.throws(() => weightedSum([Float32Array.of(1), Float32Array.of(1, 2)], [0.5, 0.5]), /array 1 has 2 values, expected 1/);
});

test('two replicas stay identical, and a second run repeats the first bit for bit', async () => {
  const first = await trainInParallel(2, 3);
  const second = await trainInParallel(2, 3);
  try {
    const a0 = await first.trainer.readVariables(0);
    assertSameVariables(a0, await first.trainer.readVariables(1), 'replicas of one run');
    assertSameVariables(a0, await second.trainer.readVariables(0), 'two runs');
    assert.deepEqual(first.losses, second.losses);
    assert.ok(first.losses.every(Number.isFinite));
    assert.ok(a0.has('conv1/bn/running_mean') && a0.has('fc2/weight/momentum'), 'weights, batch-norm statistics and optimizer slots are all read');
  } finally {
    await Promise.all([first.trainer.close(), second.trainer.close()]);
  }
});

test('a two-replica step equals, bit for bit, the shard gradients averaged and applied in one thread', async () => {
  const steps = 2;
  const { trainer } = await trainInParallel(2, steps);
  const parallel = await trainer.readVariables(0);
  await trainer.close();

  await initBackend('wasm');
  const model = buildModel(SPEC.model, { inputShape: SPEC.inputShape, numClasses: SPEC.numClasses, seed: SPEC.seed });
  const optimizer = createOptimizer(SPEC.optimizer, model.params.trainable());
  for (let s = 0; s < steps; s++) {
    const whole = batch(s);
    const shards = shardRanges(whole.rows, 2).map(([start, end]) => {
      const x = tf.tensor4d(whole.images.subarray(start * 144, end * 144), [end - start, 12, 12, 1]);
      const labels = tf.tensor1d(whole.labels!.subarray(start, end), 'int32');
      const computed = computeGradients(model, (inputs) => studentLoss(SPEC.loss, inputs), { x, labels }, s / steps);
      tf.dispose([x, labels]);
      return computed;
    });
    const weights = shards.map((c) => c.batchSize / whole.rows);
    const gradients = new Map<string, tf.Tensor>();
    for (const { name, variable } of model.params.trainable()) {
      const averaged = weightedSum(shards.map((c) => c.gradients.get(name)!.dataSync() as Float32Array), weights);
      gradients.set(name, tf.tensor(averaged, variable.shape));
    }
    const stateUpdates = model.params.state().map(({ variable }) => {
      const values = shards.map((c) => c.stateUpdates.find((u) => u.variable === variable)!.value.dataSync() as Float32Array);
      return { variable, value: tf.tensor(weightedSum(values, weights), variable.shape) };
    });
    for (const c of shards) tf.dispose([...c.gradients.values(), ...c.stateUpdates.map((u) => u.value)]);
    applyGradients(optimizer, { gradients, stateUpdates, loss: {}, predictions: new Int32Array(0), batchSize: whole.rows }, 0.05, s + 1);
  }
  const local = new Map([...model.params.all(), ...optimizer.slots].map(({ name, variable }) => [name, Float32Array.from(variable.dataSync() as Float32Array)]));
  optimizer.dispose();
  model.dispose();
  assertSameVariables(parallel, local, 'parallel vs one thread');
});

test('sharded inference returns the logits of one-thread inference, in order', async () => {
  const trainer = await DataParallelTrainer.start(SPEC, 2);
  try {
    const { images } = batch(9, 13);
    const sharded = await trainer.predict(images, 13, 4);
    await initBackend('wasm');
    const model = buildModel(SPEC.model, { inputShape: SPEC.inputShape, numClasses: SPEC.numClasses, seed: SPEC.seed });
    const logits = tf.tidy(() => model.apply(tf.tensor4d(images, [13, 12, 12, 1]), { training: false }));
    const expected = Float32Array.from(logits.dataSync() as Float32Array);
    tf.dispose(logits);
    model.dispose();
    for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(sharded[i]! - expected[i]!) <= 1e-5 * (1 + Math.abs(expected[i]!)), `logit ${i}`);
  } finally {
    await trainer.close();
  }
});

test('written variables reach every replica; live tensors stay flat across steps', async () => {
  const { trainer } = await trainInParallel(2, 1);
  try {
    const before = await trainer.liveTensors();
    for (let s = 1; s < 4; s++) await trainer.step(batch(s), 0.05, s + 1, 0.5);
    assert.deepEqual(await trainer.liveTensors(), before);
    const values = await trainer.readVariables(0);
    const zeros = new Map([['fc2/bias', new Float32Array(10)]]);
    await trainer.writeVariables(zeros);
    for (const index of [0, 1]) assert.deepEqual((await trainer.readVariables(index)).get('fc2/bias'), new Float32Array(10));
    assert.notDeepEqual(values.get('fc2/bias'), new Float32Array(10));
  } finally {
    await trainer.close();
  }
});

test('a bad spec fails the start as a BadInputError; a bad batch says why', async () => {
  await assert.rejects(DataParallelTrainer.start({ ...SPEC, model: 'no-such-model' }, 2), (error: unknown) => {
    assert.ok(isBadInputError(error), String(error));
    assert.match(error.message, /^model: unknown model "no-such-model"/);
    return true;
  });
  const trainer = await DataParallelTrainer.start(SPEC, 2);
  try {
    await assert.rejects(trainer.step(batch(0, 1), 0.05, 1, 0), /leaves a replica without examples/);
  } finally {
    await trainer.close();
  }
});
