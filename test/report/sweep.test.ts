import { test } from 'node:test';
import assert from 'node:assert/strict';
import { meanAndSpread, pointOf, renderSweepHtml, renderSweepMarkdown, type SweepContent } from '../../report/sweep.js';
import { resultRows } from '../../report/rows.js';
import { evaluated } from './fixture.js';

const run = (runId: string, seed: number, weak: number, ceiling: number, student: number) => ({
  runId,
  seed,
  rows: resultRows([evaluated('weak', 'weak', 'weak', weak), evaluated('ceiling', 'ceiling', 'ceiling', ceiling), evaluated('adaptconf', 'student', 'adaptconf', student)]),
});

const SWEEP: SweepContent = {
  sweepId: 'sw',
  runs: [run('sw-th0p5-s0', 0, 0.6, 0.9, 0.75), run('sw-th0p5-s1', 1, 0.6, 0.9, 0.81), run('sw-th1-s0', 0, 0.6, 0.9, 0.7), run('sw-th1-s1', 1, 0.6, 0.9, 0.72)],
};

test('a run\'s grid point is its id after the sweep\'s, without the seed', () => {
  assert.equal(pointOf('sw', 'sw-adaptconf-th0p5-s1'), 'adaptconf-th0p5');
  assert.equal(pointOf('sw', 'sw-s3'), 'base');
  assert.equal(pointOf('sw', 'sw-th1'), 'th1');
});

test('mean and sample standard deviation over seeds', () => {
  assert.deepEqual(meanAndSpread([1, 3]), { mean: 2, sd: Math.SQRT2 });
  assert.deepEqual(meanAndSpread([5]), { mean: 5, sd: 0 });
  assert.equal(meanAndSpread([]), undefined);
});

test('the sweep report groups seeds per point: mean ± sd of accuracy and PGR, and every run', () => {
  const markdown = renderSweepMarkdown(SWEEP, '/tmp/sweep.html');
  // th0p5: 75% and 81% -> 78.00 ± 4.24; PGR 0.5 and 0.7 -> 0.600 ± 0.141.
  assert.match(markdown, /\| th0p5 \| adaptconf \| student \| 2 \| 78\.00 ± 4\.24% \| 0\.600 ± 0\.141 \|/);
  assert.match(markdown, /\| th1 \| weak \| weak \| 2 \| 60\.00 ± 0\.00% \| - \|/);
  assert.match(markdown, /\| sw-th1-s1 \| 1 \| 60\.00% \| 90\.00% \| 72\.00% \|/);
  assert.match(markdown, /in the HTML report: \/tmp\/sweep\.html/);
});

test('the sweep page draws accuracy and PGR with error bars over seeds', async () => {
  const html = await renderSweepHtml(SWEEP);
  const figure = /<figure class="plot" data-plot="sweep-accuracy">([\s\S]*?)<\/figure>/.exec(html)?.[1] ?? '';
  assert.match(figure, /^<svg /);
  assert.match(figure, /role-errorbar|mark-rule/, 'error bars are drawn');
  assert.match(figure, /adaptconf @ th0p5/);
  assert.equal(html, await renderSweepHtml(SWEEP), 'deterministic');
});
