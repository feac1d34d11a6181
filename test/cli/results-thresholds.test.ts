/**
 * How `w2s results` reads a threshold sweep (`--theta`, `--final-alpha`): its runs are one scenario,
 * and for each seed every student is reported at the threshold where it
 * scored best on the validation split (never the test split), the smallest
 * threshold on a tie; the choices are printed with the sweep that reproduces
 * them. Without a validation split nothing is chosen, and runs with other
 * thresholds stay other scenarios. Validation accuracies are read from the
 * evaluations a sweep leaves in storage.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseRunConfig, readRunConfig } from '../../cli/config-file.js';
import { FASHION_MNIST, PRESETS } from '../../cli/presets.js';
import { readRun, type FinishedRun } from '../../cli/results/collect.js';
import { reproduceCommand } from '../../cli/results/command-line.js';
import { renderScenario } from '../../cli/results/render.js';
import { scenarios } from '../../cli/results/summarize.js';
import { isBadInputError } from '../../core/errors.js';
import type { RunConfig } from '../../schemas/pipeline.js';
import type { ResultRow } from '../../schemas/stages.js';
import { LocalStore } from '../../storage/local.js';

const model = { key: 'runs/r/m.bin', sha256: '0'.repeat(64), bytes: 1 };
const fewShotSmall = readRunConfig(fileURLToPath(new URL('../../../examples/few-shot-10-small.yaml', import.meta.url)));

/** The config of one point of a threshold sweep (`--theta` and `--final-alpha` at one value): every student named, the thresholds set. */
function point(base: RunConfig, seed: number, threshold: number): RunConfig {
  const students = base.students.map((s) => ({
    ...s,
    name: s.method,
    ...(s.method === 'adaptconf' ? { theta: threshold } : {}),
    ...(s.method === 'augconf' ? { finalAlpha: threshold } : {}),
  }));
  return { ...base, seed, students } as RunConfig;
}

function table(adaptconf: number): ResultRow[] {
  const row = (name: string, role: ResultRow['role'], method: ResultRow['method'], accuracy: number): ResultRow => ({
    name, role, method, accuracy, agreement: 0.9, ece: 0.01, examples: 10000, pgr: role === 'student' ? (accuracy - 0.7) / 0.1 : null, model,
  });
  return [row('weak', 'weak', 'weak', 0.7), row('ceiling', 'ceiling', 'ceiling', 0.8), row('hard', 'student', 'hard', 0.72), row('adaptconf', 'student', 'adaptconf', adaptconf)];
}

/** A run with the adaptconf student's test and validation accuracy; hard has the same validation accuracy at every point. */
const sweepRun = (seed: number, threshold: number, test: number, validation: number): FinishedRun => ({
  runId: `s-th${String(threshold).replace('.', 'p')}-s${seed}`,
  config: point(fewShotSmall, seed, threshold),
  rows: table(test),
  validation: { hard: 0.71, adaptconf: validation },
});

test("a threshold sweep's runs are one scenario, each seed reporting the threshold the validation split chose", () => {
  const runs = [
    // Seed 0: theta 0.5 is best on validation, though 0.25 and 1 are better on test.
    sweepRun(0, 0.25, 0.79, 0.7), sweepRun(0, 0.5, 0.73, 0.75), sweepRun(0, 1, 0.78, 0.72),
    // Seed 1: 0.25 and 0.5 tie on validation; the smaller is taken.
    sweepRun(1, 1, 0.8, 0.7), sweepRun(1, 0.5, 0.76, 0.74), sweepRun(1, 0.25, 0.71, 0.74),
  ];
  const found = scenarios(runs);
  assert.equal(found.length, 1);
  const scenario = found[0]!;
  assert.deepEqual(scenario.seeds, [0, 1]);
  assert.deepEqual(scenario.thresholds, [0.25, 0.5, 1]);
  const adaptconf = scenario.models.find((m) => m.name === 'adaptconf');
  assert.ok(adaptconf);
  assert.ok(Math.abs(adaptconf.accuracy.mean - (0.73 + 0.71) / 2) < 1e-12, `adaptconf reported at ${adaptconf.accuracy.mean}`);
  assert.equal(adaptconf.accuracy.n, 2);
  assert.deepEqual(
    scenario.choices.map((c) => [c.name, c.seeds.map((s) => [s.seed, s.values])]),
    [['adaptconf', [[0, { theta: 0.5 }], [1, { theta: 0.25 }]]]],
  );
  const text = renderScenario({ scenario, command: reproduceCommand(scenario.config, scenario.seeds, scenario.swept) });
  assert.match(text, /over 2 seeds, each student at the threshold its validation accuracy chose \(6 runs\)/);
  assert.match(text, /- adaptconf: chosen on the validation split from 0\.25, 0\.5, 1: seed 0 theta 0\.5 \(validation 75\.00%\); seed 1 theta 0\.25 \(validation 74\.00%\)\./);
  assert.match(text, /\| adaptconf \| student \| 72\.00 ± 1\.41 \|/);
  assert.match(text, /Command: `w2s sweep --local --config examples\/few-shot-10-small\.yaml --seed 0,1 --theta 0\.25,0\.5,1 /);
});

test('without a validation split nothing is chosen: runs with other thresholds are other scenarios', () => {
  const quick = parseRunConfig('quick', PRESETS.quick!({ data: FASHION_MNIST, storage: '.w2s', seed: 0 }));
  assert.equal(quick.dataset.splits.validation, 0);
  const found = scenarios([
    { runId: 'a', config: point(quick, 0, 0.5), rows: table(0.75), validation: { adaptconf: 0.7 } },
    { runId: 'b', config: point(quick, 0, 1), rows: table(0.78), validation: { adaptconf: 0.8 } },
  ]);
  assert.equal(found.length, 2);
  assert.ok(found.every((s) => s.choices.length === 0 && s.thresholds.length === 0));
});

test('validation accuracies are read from the evaluations a sweep stored; an unreadable one is refused by name', async () => {
  const root = mkdtempSync(join(tmpdir(), 'w2s-results-'));
  try {
    const store = new LocalStore(root);
    const config = point(fewShotSmall, 0, 0.5);
    await store.put('runs/r/report/table.json', JSON.stringify(table(0.75)));
    await store.put('runs/r/report/config.json', JSON.stringify(config));
    const evaluation = (name: string, confusion: number[][]) => JSON.stringify({ version: 1, name, examples: 4, confusion, perClassAccuracy: [null, null] });
    await store.put('runs/r/evaluate-validation-adaptconf/evaluation-0123456789ab.json', evaluation('adaptconf', [[2, 1], [0, 1]]));
    await store.put('runs/r/evaluate-hard/evaluation-0123456789ab.json', evaluation('hard', [[2, 0], [0, 2]]));
    const run = await readRun(store, 'r');
    assert.deepEqual(run.validation, { adaptconf: 0.75 });

    await store.put('runs/r/evaluate-validation-kd/evaluation-ba9876543210.json', '{"version":1}');
    await assert.rejects(readRun(store, 'r'), (error: unknown) => isBadInputError(error) && /evaluate-validation-kd\/evaluation-ba9876543210\.json/.test(error.message));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
