/**
 * The scenario presets in presets/: each parses against the run config
 * schema, names only models that exist and data that is here, compares the
 * paper's six students, and holds out a validation split so that a sweep can
 * choose hyperparameters without looking at the test split. The small
 * versions in examples/ keep their preset's students, losses and scenario.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { RunConfig } from '../../schemas/pipeline.js';
import { configRuleProblems } from '../../schemas/plan.js';
import { runWorldProblems } from '../../storage/run-checks.js';

const runConfigProblems = (config: RunConfig) => [...configRuleProblems(config), ...runWorldProblems(config)];
import { readRunConfig } from '../../cli/config-file.js';
import { EXAMPLES_DIR, presetFile, presetNames } from '../../cli/preset-files.js';
import { isBadInputError } from '../../core/errors.js';

const CLI = fileURLToPath(new URL('../../bin/w2s.js', import.meta.url));

const execute = promisify(execFile);

const SCENARIOS = ['pure-scratch', 'kd', 'noisy-symmetric-20', 'noisy-symmetric-40', 'noisy-pairwise-20', 'noisy-pairwise-40', 'few-shot-10', 'few-shot-50', 'few-shot-100'];

test('every scenario of the paper that needs no pretraining has a preset', () => {
  const names = presetNames();
  for (const scenario of SCENARIOS) assert.ok(names.includes(scenario), `presets/${scenario}.yaml exists (found: ${names.join(', ')})`);
});

test('every preset parses, names known models and present data, and compares the six students with a validation split', () => {
  for (const name of presetNames()) {
    const config = readRunConfig(presetFile(name));
    assert.equal(config.name, name, `${name}: the run name is the preset name, so results group under it`);
    assert.deepEqual(runConfigProblems(config), [], name);
    assert.deepEqual(
      config.students.map((s) => s.method),
      ['ceiling', 'hard', 'kd', 'augconf', 'adaptconf', 'logconf'],
      name,
    );
    assert.ok(config.dataset.splits.validation > 0, `${name}: a validation split to choose theta and alpha on`);
  }
});

test('every example parses against the run config schema', () => {
  // Some name data where a cluster's workers keep it (/data/...), so only the schema is checked here.
  for (const name of presetNames(EXAMPLES_DIR)) assert.doesNotThrow(() => readRunConfig(presetFile(name, EXAMPLES_DIR)), `examples/${name}.yaml`);
});

test("each small scenario in examples/ is its preset's scenario on fewer images", () => {
  const small = presetNames(EXAMPLES_DIR).filter((name) => name.endsWith('-small') && presetNames().includes(name.slice(0, -'-small'.length)));
  assert.deepEqual(small.sort(), ['few-shot-10-small', 'kd-small', 'noisy-symmetric-40-small', 'pure-scratch-small', 'transfer-probe-small']);
  for (const name of small) {
    const config = readRunConfig(presetFile(name, EXAMPLES_DIR));
    const preset = readRunConfig(presetFile(name.slice(0, -'-small'.length)));
    assert.equal(config.name, name, `${name}: results group under the file's name`);
    assert.deepEqual(runConfigProblems(config), [], `${name}: known models, data that is here`);
    // The same students with the same losses; only the images (and, for students, random crops) differ.
    assert.deepEqual(config.students, preset.students, name);
    assert.ok((config.dataset.limit?.train ?? Infinity) <= 12400, `${name}: a size two cores run in minutes per seed`);
    assert.ok(config.dataset.splits.validation > 0, `${name}: a validation split to choose theta and alpha on`);
    assert.deepEqual([config.dataset.labelNoise, config.dataset.fewShot, config.dataset.classes], [preset.dataset.labelNoise, preset.dataset.fewShot, preset.dataset.classes], `${name}: the scenario's data`);
    assert.deepEqual([config.strong.init?.mode, config.strong.init?.pretrain?.dataset?.classes], [preset.strong.init?.mode, preset.strong.init?.pretrain?.dataset?.classes], `${name}: the scenario's backbone`);
  }
});

test('presets carry what their scenario is about', () => {
  const kd = readRunConfig(presetFile('kd'));
  assert.ok(kd.students.filter((s) => s.method !== 'ceiling').every((s) => 'gtWeight' in s && s.gtWeight === 1), 'knowledge distillation adds ground truth');
  const pure = readRunConfig(presetFile('pure-scratch'));
  assert.ok(pure.students.every((s) => !('gtWeight' in s) || s.gtWeight === 0), 'pure weak-to-strong students never see ground truth');
  assert.deepEqual(readRunConfig(presetFile('noisy-pairwise-40')).dataset.labelNoise, { kind: 'pairwise', rate: 0.4, splits: ['weak'] });
  assert.deepEqual(readRunConfig(presetFile('few-shot-50')).dataset.fewShot, { perClass: 50, splits: ['weak'] });
  for (const mode of ['probe', 'finetune'] as const) {
    const pretrained = readRunConfig(presetFile(`pure-pretrained-${mode}`));
    assert.equal(pretrained.strong.init?.mode, mode);
    assert.equal(pretrained.strong.init?.pretrain?.method, 'simclr', 'students start from a backbone pretrained without labels');
    assert.ok(pretrained.students.every((s) => !('gtWeight' in s) || s.gtWeight === 0), 'pure weak-to-strong students never see ground truth');
  }
  const probe = readRunConfig(presetFile('pure-pretrained-probe')).strong.init?.pretrain;
  assert.deepEqual(probe, readRunConfig(presetFile('pure-pretrained-finetune')).strong.init?.pretrain, 'both modes share one cached pretraining');
});

test('the transfer presets pretrain on five classes of the source and set the task on the other five', () => {
  const probe = readRunConfig(presetFile('transfer-probe'));
  const finetune = readRunConfig(presetFile('transfer-finetune'));
  assert.equal(probe.strong.init?.mode, 'probe');
  assert.equal(finetune.strong.init?.mode, 'finetune');
  assert.deepEqual(probe.strong.init?.pretrain, finetune.strong.init?.pretrain, 'both modes share one cached pretraining');
  const pretrainData = probe.strong.init?.pretrain?.dataset;
  assert.equal(pretrainData?.source, probe.dataset.source, 'one source, split by class');
  assert.deepEqual(pretrainData?.classes, [0, 1, 2, 3, 4]);
  assert.deepEqual(probe.dataset.classes, [5, 6, 7, 8, 9]);
  assert.ok(probe.students.every((s) => !('gtWeight' in s) || s.gtWeight === 0), 'pure weak-to-strong students never see ground truth');
});

test('w2s sweep --preset lists the presets there are, the transfer ones among them', async () => {
  const refused = await execute(process.execPath, [CLI, 'sweep', '--preset', 'transfer', '--seed', '0']).then(
    () => assert.fail('an unknown preset was accepted'),
    (error: unknown) => error as { stderr: string; code: number },
  );
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /--preset transfer: no such preset/);
  assert.match(refused.stderr, /transfer-finetune, transfer-probe/);
});

test('an unknown preset name is refused with the names there are', () => {
  assert.throws(
    () => presetFile('pure-scrach'),
    (error: unknown) => isBadInputError(error) && /--preset pure-scrach/.test(error.message) && /pure-scratch/.test(error.message),
  );
});
