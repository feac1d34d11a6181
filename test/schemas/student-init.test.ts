/**
 * `strong.init` and a student's `init` in the run config: defaults filled in,
 * each mistake refused with its path and what to do, and the students'
 * training configs free of it (the init reaches training as a backbone).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isBadInputError } from '../../core/errors.js';
import { parseRunConfig } from '../../cli/config-file.js';
import { studentInit, studentTrainConfig } from '../../schemas/plan.js';
import { FASHION_MNIST } from '../harness/pipeline.js';

const base = {
  name: 'init',
  dataset: { source: FASHION_MNIST },
  teacher: { model: 'linear', epochs: 1 },
  students: [{ method: 'ceiling' }, { method: 'hard', init: { pretrained: 'gs://bucket/backbone.bin', mode: 'finetune' } }],
};

function refused(strong: unknown, pattern: RegExp): void {
  assert.throws(
    () => parseRunConfig('cfg.yaml', { ...base, strong }, () => undefined),
    (error: unknown) => isBadInputError(error) && pattern.test(error.message),
    `refused with ${pattern}`,
  );
}

test('strong.init fills in the pretraining defaults; a student init replaces it; training configs carry no init', () => {
  const config = parseRunConfig('cfg.yaml', { ...base, strong: { model: 'cnn', epochs: 1, init: { pretrain: { epochs: 2 }, mode: 'probe' } } }, () => undefined);
  const init = config.strong.init;
  assert.equal(init?.mode, 'probe');
  const pretrain = init?.pretrain;
  assert.equal(pretrain?.method, 'simclr');
  assert.deepEqual(
    { method: pretrain.method, batchSize: pretrain.batchSize, temperature: pretrain.temperature, seed: pretrain.seed, flip: pretrain.augment.flip },
    { method: 'simclr', batchSize: 256, temperature: 0.5, seed: 0, flip: true },
  );
  const [ceiling, hard] = config.students as [(typeof config.students)[number], (typeof config.students)[number]];
  assert.equal(studentInit(config, ceiling), init);
  assert.deepEqual(studentInit(config, hard), { pretrained: 'gs://bucket/backbone.bin', mode: 'finetune' });
  for (const student of config.students) assert.ok(!('init' in studentTrainConfig(config, student)), 'the training config has no init field');
});

test('a bad init is refused with its path and what to do', () => {
  refused({ model: 'cnn', epochs: 1, init: { mode: 'probe' } }, /strong\.init: give exactly one of pretrain .*, pretrained .* and imported/);
  refused({ model: 'cnn', epochs: 1, init: { pretrain: { epochs: 1 }, pretrained: 'x/y.bin' } }, /strong\.init: give exactly one/);
  refused({ model: 'cnn', epochs: 1, init: { pretrain: { epochs: 1, batchSize: 1 } } }, /strong\.init\.pretrain\.batchSize/);
  refused({ model: 'cnn', epochs: 1, init: { pretrain: { epochs: 1, method: 'mae' } } }, /strong\.init\.pretrain\.method/);
  refused({ model: 'cnn', epochs: 1, init: { pretrain: { epochs: 1, augment: { crop: 2 } } } }, /strong\.init\.pretrain\.augment.*crop/);
  refused({ model: 'cnn', epochs: 1, init: { pretrained: 'x/y.bin', mode: 'linear' } }, /strong\.init\.mode/);
});

test('an imported Layers model: defaults filled in, exactly one source, unknown fields refused', () => {
  const config = parseRunConfig('cfg.yaml', { ...base, strong: { model: 'cnn', epochs: 1, init: { imported: { uri: 'gs://bucket/mobilenet/model.json' }, mode: 'probe' } } }, () => undefined);
  assert.deepEqual(config.strong.init, { imported: { uri: 'gs://bucket/mobilenet/model.json', pooling: 'avg', input: { mean: [0], std: [1] } }, mode: 'probe' });
  const named = parseRunConfig('cfg.yaml', { ...base, strong: { model: 'cnn', epochs: 1, init: { imported: { uri: 'm/model.json', layer: 'global_average_pooling2d_1', pooling: 'flatten', input: { size: [96, 96], mean: [0.5], std: [0.5] } } } } }, () => undefined);
  assert.deepEqual(named.strong.init?.imported, { uri: 'm/model.json', layer: 'global_average_pooling2d_1', pooling: 'flatten', input: { size: [96, 96], mean: [0.5], std: [0.5] } });
  assert.equal(named.strong.init?.mode, 'finetune');
  refused({ model: 'cnn', epochs: 1, init: { imported: { uri: 'm/model.json' }, pretrained: 'x/y.bin' } }, /strong\.init: give exactly one/);
  refused({ model: 'cnn', epochs: 1, init: { imported: { uri: 'm/model.json', resize: [96, 96] } } }, /strong\.init\.imported.*resize/);
  refused({ model: 'cnn', epochs: 1, init: { imported: { uri: 'm/model.json', input: { size: [96] } } } }, /strong\.init\.imported\.input\.size/);
  refused({ model: 'cnn', epochs: 1, init: { imported: { uri: 'm/model.json', input: { std: [0] } } } }, /strong\.init\.imported\.input\.std/);
  refused({ model: 'cnn', epochs: 1, init: { imported: { layer: 'x' } } }, /strong\.init\.imported\.uri/);
});

test('supervised pretraining needs a pool split or a dataset of its own, and has no SimCLR settings', () => {
  const supervised = { model: 'cnn', epochs: 1, init: { pretrain: { method: 'supervised', epochs: 2 }, mode: 'probe' } };
  refused(supervised, /strong\.init\.pretrain\.method: supervised pretraining learns from labels the task never sees: set apart a pool split \(dataset\.splits\.pool/);
  const withPool = parseRunConfig('cfg.yaml', { ...base, dataset: { source: FASHION_MNIST, splits: { weak: 0.2, transfer: 0.4, pool: 0.4 } }, strong: supervised }, () => undefined);
  assert.deepEqual(withPool.strong.init?.pretrain, { method: 'supervised', epochs: 2, batchSize: 256, representationDim: 128, lr: 1e-3, weightDecay: 1e-4, seed: 0 });
  const ownData = { ...supervised, init: { ...supervised.init, pretrain: { ...supervised.init.pretrain, dataset: { source: FASHION_MNIST, classes: [0, 1, 2] } } } };
  assert.equal(parseRunConfig('cfg.yaml', { ...base, strong: ownData }, () => undefined).strong.init?.pretrain?.method, 'supervised');
  refused({ ...supervised, init: { ...supervised.init, pretrain: { ...supervised.init.pretrain, temperature: 0.2 } } }, /pretrain\.temperature: is a simclr setting; supervised pretraining has none/);
});
