/**
 * The run report, in Markdown (for terminals and pull requests) and as one
 * self-contained HTML page (table, accuracy chart, configuration).
 */
import type { ResultRow } from '../schemas/stages.js';
import { RESULT_HEADER, resultColumns, resultNotes } from './table.js';

export interface ReportContent {
  readonly runId: string;
  readonly runName: string;
  readonly datasetId: string;
  readonly rows: readonly ResultRow[];
  readonly config: unknown;
}

export function renderMarkdown(report: ReportContent): string {
  const table = [
    `| ${RESULT_HEADER.join(' | ')} |`,
    `| ${RESULT_HEADER.map(() => '---').join(' | ')} |`,
    ...report.rows.map((row) => `| ${resultColumns(row).join(' | ')} |`),
  ];
  return [
    `# w2s run ${report.runId}`,
    '',
    `Run **${report.runName}** on dataset \`${report.datasetId}\`.`,
    '',
    ...table,
    '',
    'PGR = (student - weak) / (ceiling - weak), on the test split; agreement is with the weak teacher; ECE uses 15 bins.',
    ...resultNotes(report.rows).map((note) => `\n> ${note}`),
    '',
    '## Configuration',
    '',
    '```json',
    JSON.stringify(report.config, null, 2),
    '```',
    '',
  ].join('\n');
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

function accuracyChart(rows: readonly ResultRow[]): string {
  const barHeight = 22;
  const width = 520;
  const labelWidth = 140;
  const bars = rows.map((row, i) => {
    const y = i * (barHeight + 6);
    const w = Math.max(1, Math.round((width - labelWidth - 60) * row.accuracy));
    const fill = row.role === 'weak' ? '#c0504d' : row.role === 'ceiling' ? '#4f81bd' : '#9bbb59';
    return `<text x="0" y="${y + 15}" font-size="12">${escapeHtml(row.name)}</text><rect x="${labelWidth}" y="${y}" width="${w}" height="${barHeight}" fill="${fill}"/><text x="${labelWidth + w + 4}" y="${y + 15}" font-size="12">${(100 * row.accuracy).toFixed(2)}%</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${rows.length * (barHeight + 6)}" role="img" aria-label="test accuracy per model">${bars.join('')}</svg>`;
}

export function renderHtml(report: ReportContent): string {
  const head = RESULT_HEADER.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = report.rows.map((row) => `<tr>${resultColumns(row).map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>w2s run ${escapeHtml(report.runId)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:right}td:first-child,th:first-child,td:nth-child(2){text-align:left}pre{background:#f6f6f6;padding:1rem;overflow:auto}</style>
</head><body>
<h1>w2s run ${escapeHtml(report.runId)}</h1>
<p>Run <b>${escapeHtml(report.runName)}</b> on dataset <code>${escapeHtml(report.datasetId)}</code>.</p>
<table><thead><tr>${head}</tr></thead><tbody>
${body}
</tbody></table>
<p>PGR = (student &minus; weak) / (ceiling &minus; weak), on the test split; agreement is with the weak teacher; ECE uses 15 bins.</p>
${resultNotes(report.rows).map((note) => `<p><strong>Note:</strong> ${escapeHtml(note)}</p>`).join('\n')}
<h2>Test accuracy</h2>
${accuracyChart(report.rows)}
<h2>Configuration</h2>
<pre>${escapeHtml(JSON.stringify(report.config, null, 2))}</pre>
</body></html>
`;
}
