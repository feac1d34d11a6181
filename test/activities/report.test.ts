import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderHtml, renderMarkdown } from '../../report/render.js';
import { resultRows } from '../../report/rows.js';
import { formatResults } from '../../report/table.js';
import type { EvaluatedModel } from '../../schemas/stages.js';

const model = { key: 'runs/r/m.bin', sha256: 'a'.repeat(64), bytes: 1 };
const evaluated = (name: string, role: EvaluatedModel['role'], method: EvaluatedModel['method'], accuracy: number): EvaluatedModel => ({
  name,
  role,
  method,
  model,
  metrics: { name, examples: 100, accuracy, agreement: 0.9, ece: 0.05 },
});

test('PGR is (student - weak) / (ceiling - weak) for students, absent for the teacher and the ceiling', () => {
  const rows = resultRows([evaluated('weak', 'weak', 'weak', 0.6), evaluated('ceiling', 'ceiling', 'ceiling', 0.9), evaluated('adaptconf', 'student', 'adaptconf', 0.81)]);
  assert.deepEqual(rows.slice(0, 2).map((r) => r.pgr), [null, null]);
  // 0.21 of a 0.30 gap recovered: 70%, to within float rounding.
  const pgr = rows[2]?.pgr;
  assert.ok(typeof pgr === 'number' && Math.abs(pgr - 0.7) < 1e-12, `PGR ${pgr}, expected 0.7`);
  assert.doesNotMatch(formatResults(rows), /note:/);
});

test('without a gap to recover PGR is withheld and the report says why', () => {
  const rows = resultRows([evaluated('weak', 'weak', 'weak', 0.85), evaluated('ceiling', 'ceiling', 'ceiling', 0.8), evaluated('hard', 'student', 'hard', 0.82)]);
  assert.equal(rows[2]?.pgr, null);
  assert.match(formatResults(rows), /note: The ceiling \(80\.00%\) does not beat the weak teacher \(85\.00%\)/);
  const content = { runId: 'r', runName: 'n', datasetId: 'd', rows, config: {} };
  assert.match(renderMarkdown(content), /> The ceiling/);
  assert.match(renderHtml(content), /<strong>Note:<\/strong> The ceiling/);
});

test('the HTML report escapes what it quotes', () => {
  const rows = resultRows([evaluated('<script>', 'weak', 'weak', 0.5)]);
  const html = renderHtml({ runId: 'r&1', runName: 'n', datasetId: 'd', rows, config: { note: '</pre>' } });
  assert.doesNotMatch(html, /<script>/);
  assert.match(html, /&lt;script&gt;/);
  assert.match(html, /r&amp;1/);
  assert.doesNotMatch(html, /"<\/pre>"/);
});
