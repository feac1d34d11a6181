/**
 * What a run on an embeddings dataset may ask for: heads over the vectors
 * (linear, mlp) pass; image models, augmentation, any backbone init and
 * image-only dataset options are refused, each naming its field and why.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RunConfigSchema, type RunConfigInput } from '../../schemas/pipeline.js';
import { parseRunConfig } from '../../schemas/plan.js';
import { vectorDatasetProblems } from '../../schemas/vector-dataset.js';

const base: RunConfigInput = {
  name: 'vectors',
  dataset: { source: '/data/dino', format: 'embeddings' },
  teacher: { model: 'linear', epochs: 1 },
  strong: { model: 'mlp', epochs: 1 },
  students: [{ method: 'ceiling' }, { method: 'adaptconf', model: 'linear' }],
};
const problems = (patch: Partial<RunConfigInput>) => vectorDatasetProblems(RunConfigSchema.parse({ ...base, ...patch }));

test('heads over the vectors pass; the same config on images is not this rule\'s business', () => {
  assert.deepEqual(problems({}), []);
  assert.deepEqual(problems({ dataset: { source: '/data/fashion', format: 'idx' }, strong: { model: 'resnet20', epochs: 1, init: { pretrain: { method: 'simclr', epochs: 1 } } } }), []);
});

test('image models, augmentation, backbones and image options are refused by field, saying why', () => {
  const found = problems({
    dataset: { source: '/data/dino', format: 'embeddings', resize: { height: 8, width: 8 }, limit: { test: 10 } },
    teacher: { model: 'cnn-small', epochs: 1, augment: { cropPadding: 4, flip: false } },
    strong: { model: 'linear', epochs: 1, augment: { cropPadding: 0, flip: true }, init: { imported: { uri: '/models/dino.onnx' }, mode: 'probe' } },
    students: [
      { method: 'ceiling', model: 'vit-tiny' },
      { method: 'adaptconf', init: { pretrain: { method: 'simclr', epochs: 1 }, mode: 'probe' } },
      { method: 'kd', name: 'kd-finetune', init: { pretrained: 'gs://b/backbone.bin', mode: 'finetune' } },
    ],
  });
  const expected = [
    /^teacher\.model: "cnn-small" takes images; on an embeddings dataset the examples are vectors, so use linear or mlp/,
    /^students\.0\.model: "vit-tiny" takes images/,
    /^teacher\.augment\.cropPadding: crops images; vectors cannot be augmented \(set it to 0\)$/,
    /^strong\.augment\.flip: flips images; vectors cannot be augmented \(set it to false\)$/,
    /^strong\.init: an imported backbone reads images; the dataset's vectors are already a frozen backbone's output, so the students are probe heads on them as they are \(strong\.model: linear, no init\)$/,
    /^students\.1\.init: a pretrain stage learns a backbone from images/,
    /^students\.2\.init: finetune trains a backbone's weights, and an embeddings dataset has none to train/,
    /^dataset\.resize: applies to images; an embeddings dataset holds vectors$/,
    /^dataset\.limit\.test: an embeddings file has no test set of its own/,
  ];
  assert.equal(found.length, expected.length, found.join('\n'));
  for (const pattern of expected) assert.ok(found.some((line) => pattern.test(line)), `${pattern} not in:\n${found.join('\n')}`);
});

test('a pretraining dataset of embeddings is refused by the schema: pretraining learns from images', () => {
  const parsed = parseRunConfig({ ...base, dataset: { source: '/data/fashion', format: 'idx' }, strong: { model: 'cnn', epochs: 1, init: { pretrain: { method: 'simclr', epochs: 1, dataset: { source: '/data/dino', format: 'embeddings' } } } } }, () => undefined);
  assert.equal(parsed.ok, false);
  assert.match(parsed.ok ? '' : parsed.problems, /strong\.init\.pretrain\.dataset\.format/);
});
