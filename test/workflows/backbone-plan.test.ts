/**
 * Which backbone stages a run plans: students asking for the same imported
 * Layers model share one `import-layers` stage, another entry gets its own,
 * each named by the config field errors will point at; zoo backbones keep
 * their `pretrain` and `import-backbone` stages.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRunConfig } from '../../cli/config-file.js';
import { planBackbones } from '../../schemas/plan.js';
import { studentBackbone, type ProvidedBackbone } from '../../workflows/backbones.js';
import { FASHION_MNIST } from '../harness/pipeline.js';

test('imported Layers models: one import-layers stage per distinct entry, named by its field; students know their mode and kind', () => {
  const imported = { uri: 'gs://models/net/model.json' };
  const config = parseRunConfig('cfg.yaml', {
    name: 'plan',
    dataset: { source: FASHION_MNIST },
    teacher: { model: 'linear', epochs: 1 },
    strong: { model: 'cnn', epochs: 1, init: { imported, mode: 'probe' } },
    students: [
      { method: 'ceiling' },
      { method: 'hard', init: { imported, mode: 'finetune' } },
      { method: 'adaptconf', init: { imported: { ...imported, layer: 'pool1' } } },
      { method: 'kd', init: { pretrained: 'gs://models/cnn-backbone.bin' } },
    ],
  }, () => undefined);
  const plan = planBackbones(config);
  assert.deepEqual(
    plan.sources.map((s) => [s.kind, s.stage, s.kind === 'layers' ? s.field : undefined]),
    [['layers', 'import-layers', 'strong.init.imported'], ['layers', 'import-layers-2', 'students.2.init.imported'], ['import', 'import-backbone', undefined]],
  );
  // The import learns how its students train: a frozen model (ONNX, graph model) refuses a finetune student before any work.
  assert.deepEqual(plan.sources.map((s) => (s.kind === 'layers' ? s.modes : undefined)), [['probe', 'finetune'], ['finetune'], undefined]);
  assert.deepEqual(Object.entries(plan.students), [
    ['ceiling', { stage: 'import-layers', mode: 'probe' }],
    ['hard', { stage: 'import-layers', mode: 'finetune' }],
    ['adaptconf', { stage: 'import-layers-2', mode: 'finetune' }],
    ['kd', { stage: 'import-backbone', mode: 'finetune' }],
  ]);
  const ref = (n: number) => ({ key: `objects/${String(n).repeat(64)}.bin`, sha256: String(n).repeat(64), bytes: n });
  const provided = new Map<string, ProvidedBackbone>(plan.sources.map((source, i) => [source.stage, { source, model: ref(i + 1), cached: false }]));
  assert.deepEqual(studentBackbone(plan, provided, 'ceiling'), { model: ref(1), mode: 'probe', kind: 'imported' });
  assert.deepEqual(studentBackbone(plan, provided, 'adaptconf'), { model: ref(2), mode: 'finetune', kind: 'imported' });
  assert.deepEqual(studentBackbone(plan, provided, 'kd'), { model: ref(3), mode: 'finetune' }, 'a zoo backbone carries no kind');
});
