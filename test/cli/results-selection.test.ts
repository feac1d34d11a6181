/**
 * How `w2s results` reads a `--weight-decay` sweep: its runs are one
 * scenario; each student's weight decay is chosen per seed on the
 * validation split by ground truth (validation accuracy) and by the
 * teacher's labels (agreement with them there), the two choices shown side
 * by side with what each gives on test. The ceiling is chosen by ground
 * truth under both, and a student's PGR is taken against that ceiling.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { readRunConfig } from '../../cli/config-file.js';
import type { FinishedRun } from '../../cli/results/collect.js';
import { reproduceCommand } from '../../cli/results/command-line.js';
import { renderScenario } from '../../cli/results/render.js';
import { scenarios } from '../../cli/results/summarize.js';
import type { RunConfig } from '../../schemas/pipeline.js';
import type { ResultRow } from '../../schemas/stages.js';

const model = { key: 'runs/r/m.bin', sha256: '0'.repeat(64), bytes: 1 };
const probe = readRunConfig(fileURLToPath(new URL('../../../examples/regularise-probe.yaml', import.meta.url)));

function point(seed: number, weightDecay: number): RunConfig {
  return { ...probe, seed, strong: { ...probe.strong, optimizer: { ...probe.strong.optimizer, weightDecay } }, students: probe.students.map((s) => ({ ...s, name: s.method })) } as RunConfig;
}

const row = (name: string, role: ResultRow['role'], accuracy: number): ResultRow => ({
  name, role, method: role === 'weak' ? 'weak' : (name as ResultRow['method']), accuracy, agreement: 0.9, ece: 0.01, examples: 10000, pgr: null, model,
});

/** One run of the sweep: test accuracies of ceiling and hard, their validation accuracy and the students' agreement with the teacher there. */
function run(seed: number, wd: number, test: { ceiling: number; hard: number }, validation: { ceiling: number; hard: number }, agreement: number): FinishedRun {
  return {
    runId: `p-wd${wd}-s${seed}`,
    config: point(seed, wd),
    rows: [row('weak', 'weak', 0.8), row('ceiling', 'ceiling', test.ceiling), row('hard', 'student', test.hard), row('adaptconf', 'student', test.hard)],
    validation: { ceiling: validation.ceiling, hard: validation.hard, adaptconf: validation.hard },
    validationAgreement: { ceiling: 0.85, hard: agreement, adaptconf: agreement },
  };
}

test('each criterion picks by its own validation score, and says what its pick gives on test', () => {
  const runs = [
    // Ground truth prefers 0.1 on both seeds, the teacher's labels 1e-4 (the weak decay copies the teacher best).
    run(0, 1e-4, { ceiling: 0.9, hard: 0.84 }, { ceiling: 0.89, hard: 0.83 }, 0.95),
    run(0, 0.1, { ceiling: 0.9, hard: 0.88 }, { ceiling: 0.88, hard: 0.87 }, 0.9),
    run(1, 1e-4, { ceiling: 0.9, hard: 0.85 }, { ceiling: 0.88, hard: 0.84 }, 0.96),
    run(1, 0.1, { ceiling: 0.92, hard: 0.87 }, { ceiling: 0.9, hard: 0.86 }, 0.91),
  ];
  const found = scenarios(runs);
  assert.equal(found.length, 1, 'the weight decays of one sweep are one scenario');
  const [scenario] = found as [(typeof found)[number]];
  assert.deepEqual(scenario.swept, { weightDecay: [1e-4, 0.1] });
  const picks = Object.fromEntries(scenario.selections.map((s) => [s.criterion, s.choices.find((c) => c.name === 'hard')!.seeds.map((x) => x.values.weightDecay)]));
  assert.deepEqual(picks, { 'ground-truth': [0.1, 0.1], teacher: [1e-4, 1e-4] });
  const hard = (criterion: string) => scenario.selections.find((s) => s.criterion === criterion)!.models.find((m) => m.name === 'hard')!;
  assert.ok(Math.abs(hard('ground-truth').accuracy.mean - 0.875) < 1e-12);
  assert.ok(Math.abs(hard('teacher').accuracy.mean - 0.845) < 1e-12);
  // The ceiling chosen by ground truth: seed 0 at 1e-4 (0.9), seed 1 at 0.1 (0.92); PGR against it.
  const pgr = (s: number, c: number) => (s - 0.8) / (c - 0.8);
  assert.ok(Math.abs(hard('teacher').pgr!.mean - (pgr(0.84, 0.9) + pgr(0.85, 0.92)) / 2) < 1e-12);
  assert.ok(Math.abs(hard('ground-truth').pgr!.mean - (pgr(0.88, 0.9) + pgr(0.87, 0.92)) / 2) < 1e-12);

  const text = renderScenario({ scenario, command: reproduceCommand(scenario.config, scenario.seeds, scenario.swept) });
  assert.match(text, /\| hard \| ground truth \(validation accuracy\) \| 0: weightDecay 0\.1; 1: weightDecay 0\.1 \| 87\.50 ± 0\.71 \|/);
  assert.match(text, /\| hard \| the teacher's labels \(agreement with them on validation\) \| 0: weightDecay 0\.0001; 1: weightDecay 0\.0001 \| 84\.50 ± 0\.71 \|/);
  assert.match(text, /Command: `w2s sweep --local --config examples\/regularise-probe\.yaml --seed 0,1 --weight-decay 0\.0001,0\.1 /);
});

test('without a validation split, runs with other weight decays stay other scenarios', () => {
  const noValidation = (wd: number): FinishedRun => {
    const r = run(0, wd, { ceiling: 0.9, hard: 0.85 }, { ceiling: 0.9, hard: 0.85 }, 0.9);
    return { ...r, config: { ...r.config, dataset: { ...r.config.dataset, splits: { ...r.config.dataset.splits, validation: 0 } } } };
  };
  const found = scenarios([noValidation(1e-4), noValidation(0.1)]);
  assert.equal(found.length, 2);
  assert.ok(found.every((s) => s.selections.length === 0 && Object.keys(s.swept).length === 0));
});

test("a --patience sweep's runs are one scenario, each student at the patience its validation score chose", () => {
  const withPatience = (r: FinishedRun, patience: number): FinishedRun => ({
    ...r,
    runId: `${r.runId}-pat${patience}`,
    config: { ...r.config, strong: { ...r.config.strong, earlyStopping: { patience, monitor: 'teacher' } } },
  });
  const [scenario, ...others] = scenarios([
    withPatience(run(0, 1e-4, { ceiling: 0.9, hard: 0.84 }, { ceiling: 0.89, hard: 0.83 }, 0.95), 1),
    withPatience(run(0, 1e-4, { ceiling: 0.9, hard: 0.86 }, { ceiling: 0.89, hard: 0.85 }, 0.9), 3),
  ]);
  assert.equal(others.length, 0);
  assert.deepEqual(scenario?.swept, { patience: [1, 3] });
  const picks = Object.fromEntries(scenario!.selections.map((s) => [s.criterion, s.choices.find((c) => c.name === 'hard')!.seeds.map((x) => x.values)]));
  assert.deepEqual(picks, { 'ground-truth': [{ patience: 3 }], teacher: [{ patience: 1 }] });
  const text = renderScenario({ scenario: scenario!, command: reproduceCommand(scenario!.config, scenario!.seeds, scenario!.swept) });
  assert.match(text, /Command: `w2s sweep --local --config examples\/regularise-probe\.yaml --seed 0 --patience 1,3 /);
});
