import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../ml/backend.js';
import { formatResultTable, runWeakToStrong, type WeakToStrongData } from '../../ml/experiments/weak-to-strong.js';
import { fashionMnistProtocol } from '../../ml/experiments/protocols.js';
import { syntheticSource } from './helpers/synthetic.js';

function syntheticData(): WeakToStrongData {
  const shape = [8, 8, 1] as const;
  const train = syntheticSource({ size: 96, shape, numClasses: 4, seed: 1, contrast: 60 }).data;
  const test = syntheticSource({ size: 40, shape, numClasses: 4, seed: 2, contrast: 60 }).data;
  return {
    shape,
    numClasses: 4,
    normalization: train.normalization,
    train: { images: train.images, labels: train.labels! },
    test: { images: test.images, labels: test.labels! },
  };
}

test('the protocol splits, labels, trains every student and computes PGR from the ceiling', async () => {
  await initBackend();
  const before = tf.memory().numTensors;
  const stages: string[] = [];
  const config = {
    seed: 3,
    trainSize: 80,
    testSize: 30,
    weakFraction: 0.25,
    weak: { model: 'linear', epochs: 2, batchSize: 8 },
    strong: { model: 'cnn-small', epochs: 2, batchSize: 8, optimizer: { name: 'adam' as const, lr: 0.01 } },
    students: [{ loss: { method: 'ceiling' as const } }, { loss: { method: 'hard' as const } }, { name: 'kd+gt', loss: { method: 'kd' as const, gtWeight: 1 } }],
  };
  const result = await runWeakToStrong(syntheticData(), config, { onStage: (s) => stages.push(s) });
  assert.deepEqual(stages, ['weak', 'label', 'ceiling', 'hard', 'kd+gt']);
  assert.deepEqual(result.sizes, { weak: 20, strong: 60, test: 30 });
  assert.equal(result.weak.agreementWithTeacher, 1);
  assert.equal(result.weak.history.length, 2);
  const [ceiling, hard, kd] = result.students;
  assert.equal(ceiling!.pgr, undefined);
  assert.notEqual(ceiling!.accuracy, result.weak.accuracy, 'a gap to recover');
  for (const s of [hard!, kd!]) {
    assert.ok(Math.abs(s.pgr! - (s.accuracy - result.weak.accuracy) / (ceiling!.accuracy - result.weak.accuracy)) < 1e-12);
  }
  // Ground truth of S reaches only the students whose loss uses it.
  assert.ok(ceiling!.history.every((m) => m.trainAccuracy !== undefined));
  assert.ok(hard!.history.every((m) => m.trainAccuracy === undefined && m.teacherAgreement !== undefined));
  assert.ok(kd!.history.every((m) => m.trainAccuracy !== undefined && m.loss.gt !== undefined));
  for (const s of result.students) assert.ok(s.accuracy >= 0 && s.accuracy <= 1 && s.agreementWithTeacher >= 0 && s.agreementWithTeacher <= 1);
  assert.equal(tf.memory().numTensors, before, 'every model is disposed');

  const table = formatResultTable(result);
  assert.equal(table.split('\n').length, 2 + 4);
  assert.match(table, /\| kd\+gt \| cnn-small \| /);
});

/** The smallest run of the protocol: one epoch of linear models on 48 synthetic images. */
const TINY = {
  seed: 5,
  trainSize: 48,
  weak: { model: 'linear', epochs: 1, batchSize: 8 },
  strong: { model: 'linear', epochs: 1, batchSize: 8 },
  students: [{ loss: { method: 'hard' as const } }],
};

test('the same seed reproduces the whole table; another seed splits differently', async () => {
  await initBackend();
  const config = TINY;
  const strip = (r: Awaited<ReturnType<typeof runWeakToStrong>>) => [r.weak, ...r.students].map((m) => [m.accuracy, m.agreementWithTeacher, m.history.map((h) => h.loss)]);
  const a = await runWeakToStrong(syntheticData(), config);
  const b = await runWeakToStrong(syntheticData(), config);
  const c = await runWeakToStrong(syntheticData(), { ...config, seed: 6 });
  assert.deepEqual(strip(a), strip(b));
  assert.notDeepEqual(strip(a), strip(c));
});

test('the Fashion-MNIST protocol names its methods and rejects unknown ones', () => {
  const all = fashionMnistProtocol({ seed: 0, weakEpochs: 1, strongEpochs: 1 });
  assert.deepEqual(all.students.map((s) => s.loss.method), ['ceiling', 'hard', 'kd', 'augconf', 'adaptconf', 'logconf']);
  assert.equal(all.weak.model, 'linear');
  assert.equal(all.strong.model, 'cnn');
  assert.deepEqual(fashionMnistProtocol({ seed: 0, weakEpochs: 1, strongEpochs: 1, methods: ['adaptconf'] }).students.map((s) => s.loss.method), ['adaptconf']);
  assert.throws(() => fashionMnistProtocol({ seed: 0, weakEpochs: 1, strongEpochs: 1, methods: ['adaptconfx'] }), /unknown method\(s\) adaptconfx/);
});

test('a weakFraction that leaves W or S empty is refused before any training', async () => {
  await initBackend();
  for (const weakFraction of [0, 1, 0.001]) {
    const stages: string[] = [];
    await assert.rejects(runWeakToStrong(syntheticData(), { ...TINY, weakFraction }, { onStage: (s) => stages.push(s) }), (error: Error) => {
      assert.equal(error.name, 'BadInputError');
      assert.match(error.message, /weakFraction.*W or S empty/);
      return true;
    });
    assert.deepEqual(stages, [], `nothing trained for weakFraction ${weakFraction}`);
  }
});
