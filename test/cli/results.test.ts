/**
 * How `w2s results` summarises runs: runs group into a scenario when their
 * configs differ only in seed and storage; spreads are sample standard
 * deviations; AdaptConf's standing against its teacher and the other
 * students is stated, including where it does not win; the command that
 * reproduces a preset's runs is named.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { parseRunConfig, readRunConfig } from '../../cli/config-file.js';
import { presetFile } from '../../cli/preset-files.js';
import { FASHION_MNIST, PRESETS } from '../../cli/presets.js';
import type { FinishedRun } from '../../cli/results/collect.js';
import { configOfReport } from '../../cli/results/collect.js';
import { reproduceCommand } from '../../cli/results/command-line.js';
import { renderScenario } from '../../cli/results/render.js';
import { scenarios, spread } from '../../cli/results/summarize.js';
import { isBadInputError } from '../../core/errors.js';
import type { ResultRow } from '../../schemas/stages.js';

const model = { key: 'runs/r/m.bin', sha256: '0'.repeat(64), bytes: 1 };
const quick = (seed: number) => parseRunConfig('quick', PRESETS.quick!({ data: FASHION_MNIST, storage: '.w2s', seed }));

function rows(weak: number, ceiling: number, hard: number, adaptconf: number): ResultRow[] {
  const pgr = (x: number) => (x - weak) / (ceiling - weak);
  return [
    { name: 'weak', role: 'weak', method: 'weak', accuracy: weak, agreement: 1, ece: 0.01, examples: 10000, pgr: null, model },
    { name: 'ceiling', role: 'ceiling', method: 'ceiling', accuracy: ceiling, agreement: 0.8, ece: 0.01, examples: 10000, pgr: null, model },
    { name: 'hard', role: 'student', method: 'hard', accuracy: hard, agreement: 0.9, ece: 0.01, examples: 10000, pgr: pgr(hard), model },
    { name: 'adaptconf', role: 'student', method: 'adaptconf', accuracy: adaptconf, agreement: 0.85, ece: 0.01, examples: 10000, pgr: pgr(adaptconf), model },
  ];
}

const run = (runId: string, seed: number, table: ResultRow[]): FinishedRun => ({ runId, config: quick(seed), rows: table });

test('spread is the mean and the sample standard deviation', () => {
  const s = spread([1, 2, 3]);
  assert.equal(s.mean, 2);
  assert.equal(s.sd, 1);
  assert.equal(spread([5]).sd, 0);
});

test('runs that differ only in seed form one scenario; another config is another scenario', () => {
  const other = { ...run('x', 0, rows(0.7, 0.9, 0.75, 0.8)), config: { ...quick(0), strong: { ...quick(0).strong, epochs: 9 } } };
  const found = scenarios([run('a', 1, rows(0.70, 0.9, 0.74, 0.80)), run('b', 0, rows(0.72, 0.9, 0.75, 0.80)), other]);
  assert.equal(found.length, 2);
  const main = found.find((s) => s.runs.length === 2);
  assert.ok(main);
  assert.deepEqual(main.seeds, [0, 1]);
  const adaptconf = main.models.find((m) => m.name === 'adaptconf');
  assert.ok(adaptconf?.pgr);
  assert.ok(Math.abs(adaptconf.accuracy.mean - 0.8) < 1e-12);
  assert.ok(Math.abs(adaptconf.pgr.mean - (0.5 + 0.8 / 1.8) / 2) < 1e-12);
});

test('the verdicts say where AdaptConf wins and where it does not', () => {
  const [wins] = scenarios([run('a', 0, rows(0.70, 0.9, 0.74, 0.80)), run('b', 1, rows(0.71, 0.9, 0.75, 0.81))]);
  assert.match(wins!.verdicts.join('\n'), /adaptconf beats its weak teacher on every seed by at least 3 standard errors/);
  assert.match(wins!.verdicts.join('\n'), /adaptconf beats hard in mean accuracy/);
  const [loses] = scenarios([run('a', 0, rows(0.80, 0.9, 0.83, 0.805)), run('b', 1, rows(0.80, 0.9, 0.83, 0.79))]);
  const text = loses!.verdicts.join('\n');
  assert.match(text, /adaptconf does NOT beat its weak teacher on every seed/);
  assert.match(text, /adaptconf does NOT beat hard \(83\.00% against 79\.75%\)/);
  assert.match(renderScenario({ scenario: loses! }), /\| adaptconf \| student \| 79\.75 ± 1\.06 \|/);
});

test('the command that reproduces the runs: the quickstart preset, or a presets/ file', () => {
  assert.equal(reproduceCommand(quick(0), [0, 1, 2]), 'for seed in 0 1 2; do w2s quickstart --seed $seed; done');
  assert.equal(reproduceCommand({ ...quick(4), storage: '/tmp/x' }, [4]), 'w2s quickstart --storage /tmp/x --seed 4');
  const fewShot = readRunConfig(presetFile('few-shot-10'));
  assert.equal(
    reproduceCommand({ ...fewShot, seed: 1 }, [1]),
    'w2s quickstart --config presets/few-shot-10.yaml --seed 1   # or on a cluster: w2s sweep --preset few-shot-10 --seed 1 --wait',
  );
  assert.equal(reproduceCommand({ ...fewShot, teacher: { ...fewShot.teacher, epochs: 99 } }, [0]), undefined);
  const noisySmall = readRunConfig(fileURLToPath(new URL('../../../examples/noisy-symmetric-40-small.yaml', import.meta.url)));
  assert.equal(
    // As `w2s sweep` runs it: every student named, here after its method.
    reproduceCommand({ ...noisySmall, seed: 2, students: noisySmall.students.map((s) => ({ ...s, name: s.method })) }, [0, 1, 2]),
    'for seed in 0 1 2; do w2s quickstart --config examples/noisy-symmetric-40-small.yaml --seed $seed; done   # or on a cluster: w2s sweep --config examples/noisy-symmetric-40-small.yaml --seed 0,1,2 --wait',
  );
});

test("a report without its configuration block is refused, naming the report", () => {
  assert.throws(() => configOfReport('runs/r/report/report.md', '# w2s run r\n'), (error: unknown) => isBadInputError(error) && /runs\/r\/report\/report\.md/.test(error.message));
});

test('a re-run of the same config and seed is counted once and listed; one run shows no spread', () => {
  const table = rows(0.7, 0.9, 0.74, 0.8);
  const [scenario] = scenarios([run('first', 0, table), run('again', 0, table)]);
  assert.ok(scenario);
  // Without lineage to say which came first, the run ids decide: `again` stands for both.
  assert.deepEqual(scenario.runs.map((r) => r.runId), ['again']);
  assert.deepEqual(scenario.repeats, [{ runId: 'first', of: 'again' }]);
  assert.deepEqual(scenario.seeds, [0]);
  const text = renderScenario({ scenario });
  assert.match(text, /^Seeds 0; one run, so no spread; 10000 test images\.$/m);
  assert.match(text, /^\| adaptconf \| student \| 80\.00 \| 0\.500 \| 85\.00 \|$/m);
  assert.doesNotMatch(text, /±/);
  assert.match(text, /^- Re-runs of a config and seed already counted, left out: `\w+` \(as `\w+`\)\.$/m);
});
