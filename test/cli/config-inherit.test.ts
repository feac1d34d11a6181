/**
 * A student's training config is the shared `strong` block from the config
 * file, its own overrides on top. Every value here differs from the schema's
 * default, so a student that ignored `strong` (or its own overrides) fails.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRunConfig } from '../../cli/config-file.js';
import { studentTrainConfig, teacherTrainConfig } from '../../schemas/plan.js';

const CONFIG = `
name: inherit
seed: 7
dataset: { source: /data/fashion-mnist, format: idx }
teacher: { model: linear, epochs: 2, optimizer: { name: adam, lr: 0.003 } }
strong:
  model: cnn-small
  epochs: 11
  batchSize: 48
  optimizer: { name: adamw, lr: 0.0123, weightDecay: 0.0321, beta1: 0.85 }
  schedule: { name: cosine, warmupEpochs: 1.5, minLrFraction: 0.07 }
  augment: { cropPadding: 3, flip: true }
students:
  - method: ceiling
  - method: adaptconf
    name: own-settings
    epochs: 5
    batchSize: 24
    model: cnn
`;

test('students inherit every strong setting from the config file; their own epochs, batch size and model win', async () => {
  const file = join(await mkdtemp(join(tmpdir(), 'w2s-config-')), 'inherit.yaml');
  await writeFile(file, CONFIG);
  const config = readRunConfig(file);
  const [ceiling, own] = config.students;
  assert.ok(ceiling && own);

  const inherited = studentTrainConfig(config, ceiling);
  assert.equal(inherited.model, 'cnn-small');
  assert.equal(inherited.epochs, 11);
  assert.equal(inherited.batchSize, 48);
  assert.equal(inherited.seed, 7);
  assert.deepEqual(inherited.optimizer, { name: 'adamw', lr: 0.0123, momentum: 0.9, nesterov: false, weightDecay: 0.0321, beta1: 0.85, beta2: 0.999, epsilon: 1e-8 });
  assert.deepEqual(inherited.schedule, { name: 'cosine', warmupEpochs: 1.5, minLrFraction: 0.07 });
  assert.deepEqual(inherited.augment, { cropPadding: 3, flip: true });
  assert.equal(inherited.loss.method, 'ceiling');

  const overridden = studentTrainConfig(config, own);
  assert.equal(overridden.epochs, 5, "the student's own epochs win over strong.epochs");
  assert.equal(overridden.batchSize, 24);
  assert.equal(overridden.model, 'cnn');
  // What the student does not override still comes from strong.
  assert.deepEqual(overridden.optimizer, inherited.optimizer);
  assert.deepEqual(overridden.schedule, inherited.schedule);
  assert.deepEqual(overridden.augment, inherited.augment);
  assert.equal(overridden.loss.method, 'adaptconf');

  // The teacher keeps its own block: nothing of strong leaks into it.
  const teacher = teacherTrainConfig(config);
  assert.equal(teacher.model, 'linear');
  assert.equal(teacher.optimizer.name, 'adam');
  assert.equal(teacher.optimizer.lr, 0.003);
  assert.deepEqual(teacher.schedule, { name: 'cosine', warmupEpochs: 0, minLrFraction: 0 });
});
