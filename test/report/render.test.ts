import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flattenConfig } from '../../report/config-table.js';
import { renderHtml, renderMarkdown } from '../../report/render.js';
import { resultRows } from '../../report/rows.js';
import { formatResults } from '../../report/table.js';
import { splitShares } from '../../report/plots/teacher-split.js';
import { CLASSES, evaluated, fixtureContent } from './fixture.js';

/** The SVG of each plot, by its id. */
function plots(html: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const match of html.matchAll(/<figure class="plot" data-plot="([^"]+)">([\s\S]*?)<\/figure>/g)) found.set(match[1]!, match[2]!);
  return found;
}

const marks = (svg: string) => (svg.match(/<(path|rect|line)\b/g) ?? []).length;

test('PGR is (student - weak) / (ceiling - weak) for students, absent for the teacher and the ceiling', () => {
  const rows = resultRows([evaluated('weak', 'weak', 'weak', 0.6), evaluated('ceiling', 'ceiling', 'ceiling', 0.9), evaluated('adaptconf', 'student', 'adaptconf', 0.81)]);
  assert.deepEqual(rows.slice(0, 2).map((r) => r.pgr), [null, null]);
  const pgr = rows[2]?.pgr;
  assert.ok(typeof pgr === 'number' && Math.abs(pgr - 0.7) < 1e-12, `PGR ${pgr}, expected 0.7`);
  assert.doesNotMatch(formatResults(rows), /note:/);
});

test('without a gap to recover PGR is withheld and both reports say why', async () => {
  const rows = resultRows([evaluated('weak', 'weak', 'weak', 0.85), evaluated('ceiling', 'ceiling', 'ceiling', 0.8), evaluated('hard', 'student', 'hard', 0.82)]);
  assert.equal(rows[2]?.pgr, null);
  assert.match(formatResults(rows), /note: The ceiling \(80\.00%\) does not beat the weak teacher \(85\.00%\)/);
  const content = fixtureContent({ rows });
  assert.match(renderMarkdown(content), /> The ceiling/);
  assert.match(await renderHtml(content), /<strong>Note:<\/strong> The ceiling/);
});

test('the HTML page draws every plot as inline SVG with marks, and fetches nothing', async () => {
  const html = await renderHtml(fixtureContent());
  const drawn = plots(html);
  assert.deepEqual([...drawn.keys()], ['accuracy', 'training-curves', 'alpha', 'teacher-split', 'per-class', 'confusion', 'timeline']);
  for (const [id, svg] of drawn) {
    assert.match(svg, /^<svg /, `${id} is inline SVG`);
    assert.ok(marks(svg) > 5, `${id} has ${marks(svg)} marks`);
  }
  assert.doesNotMatch(html, /<script|<link|<img|src=|url\((?!#)/i, 'self-contained: no scripts, stylesheets or images to fetch');
  const ids = [...html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
  assert.equal(new Set(ids).size, ids.length, 'ids (gradients, clip paths, sections) are unique on the page');
  // Class names reach the axes, escaped.
  assert.match(drawn.get('confusion')!, /T-shirt\/top/);
  assert.match(drawn.get('confusion')!, /Pull&lt;over&gt;/);
  assert.doesNotMatch(html, /Pull<over>/);
});

test('rendering is deterministic', async () => {
  assert.equal(await renderHtml(fixtureContent()), await renderHtml(fixtureContent()));
});

test('plots without data are left out: no alpha plot without adaptconf or augconf, no timeline without lineage', async () => {
  const content = fixtureContent();
  const html = await renderHtml({ ...content, trainings: content.trainings.filter((t) => !t.record.alpha), stages: [] });
  assert.deepEqual([...plots(html).keys()], ['accuracy', 'training-curves', 'teacher-split', 'per-class', 'confusion']);
});

test('the Markdown report has the tables (no SVG) and points at the HTML page', () => {
  const markdown = renderMarkdown(fixtureContent(), 'report.html');
  assert.doesNotMatch(markdown, /<svg/);
  assert.match(markdown, /in the HTML report: report\.html/);
  assert.match(markdown, /\| adaptconf \| student \| 81\.00% \| 0\.700 \|/);
  // Teacher right 22 (kept 21), teacher wrong 8: fixed 6, copied 1.
  assert.match(markdown, /\| adaptconf \| 22 \| 95\.45% \(21\) \| 8 \| 75\.00% \(6\) \| 12\.50% \(1\) \|/);
  assert.match(markdown, /\| T-shirt\/top \| 80\.00% \| 90\.00% \|/);
  assert.match(markdown, /\| train-weak \| train \| completed \| 2 \| 8\.5 s \| w2 \| wasm\/cpu \| ingest \|/);
  assert.match(markdown, /\| students\[0\]\.theta \| 0\.5 \|/);
  assert.match(markdown, new RegExp(`sha256 of its canonical JSON: \`${'c'.repeat(64)}\``));
});

test('the configuration reads as dotted keys in sorted order', () => {
  assert.deepEqual(flattenConfig({ b: { y: 1, x: 'a' }, a: [1, 2], s: [{ m: 'kd' }], e: {}, n: null }), [
    { key: 'a', value: '[1,2]' },
    { key: 'b.x', value: 'a' },
    { key: 'b.y', value: '1' },
    { key: 'e', value: '{}' },
    { key: 'n', value: 'null' },
    { key: 's[0].m', value: 'kd' },
  ]);
});

test('the teacher split: fixed, copied and other mistakes add up to the teacher\'s mistakes; the teacher itself is left out', () => {
  const shares = splitShares(fixtureContent().evaluations);
  assert.deepEqual(shares.map((s) => [s.model, s.side, s.outcome, s.count]), [
    ['adaptconf', 'teacher right', 'kept right', 21],
    ['adaptconf', 'teacher right', 'broke', 1],
    ['adaptconf', 'teacher wrong', 'fixed', 6],
    ['adaptconf', 'teacher wrong', 'copied the teacher', 1],
    ['adaptconf', 'teacher wrong', 'another mistake', 1],
  ]);
});

test('the HTML report escapes what it quotes', async () => {
  const rows = resultRows([evaluated('<script>', 'weak', 'weak', 0.5)]);
  const html = await renderHtml(fixtureContent({ runId: 'r&1', rows, config: { note: '</pre>' } }));
  assert.doesNotMatch(html, /<script>/);
  assert.match(html, /&lt;script&gt;/);
  assert.match(html, /r&amp;1/);
  assert.doesNotMatch(html, /<\/pre>/);
  assert.equal(CLASSES.length, 3);
});

test('a ceiling within two standard errors of the teacher: PGR is shown, with a note that the gap is within noise', () => {
  // On 100 test images the gap 0.70 -> 0.78 has a standard error of about 6.2 points.
  const rows = resultRows([evaluated('weak', 'weak', 'weak', 0.7), evaluated('ceiling', 'ceiling', 'ceiling', 0.78), evaluated('hard', 'student', 'hard', 0.74)]);
  assert.ok(typeof rows[2]?.pgr === 'number');
  assert.match(formatResults(rows), /note: The ceiling \(78\.00%\) is only 8\.00 points above the weak teacher \(70\.00%\), within two standard errors of the test split \(12\.35 points\)/);
});

test('the Data section names every non-empty split, the pool as read by pretraining alone', async () => {
  const content = fixtureContent({
    splits: [
      { name: 'weak', examples: 3000 },
      { name: 'transfer', examples: 18000 },
      { name: 'validation', examples: 0 },
      { name: 'test', examples: 10000 },
      { name: 'pool', examples: 24000 },
    ],
  });
  const markdown = renderMarkdown(content);
  assert.match(markdown, /## Data/);
  assert.match(markdown, /\| pool \| 24000 \| pretraining only: the backbone learns its labels; never seen by the teacher or the students \|/);
  assert.match(markdown, /\| weak \| 3000 \| W: the weak teacher trains on its ground truth \|/);
  assert.doesNotMatch(markdown, /\| validation \|/);
  const html = await renderHtml(content);
  assert.match(html, /<h2>Data<\/h2>/);
  assert.match(html, /<td class="text">pool<\/td><td>24000<\/td>/);
  // A report whose manifest could not be read has no Data section rather than an empty one.
  assert.doesNotMatch(renderMarkdown(fixtureContent()), /## Data/);
});
