/**
 * The run report, in Markdown (tables, for terminals and pull requests) and
 * as one self-contained HTML page (the same tables and the plots as inline
 * SVG), from the content the report stage gathers.
 */
import type { ReportContent } from './content.js';
import { escapeHtml, htmlDocument, type HtmlBlock } from './html.js';
import { markdownDocument, type MarkdownSection } from './markdown.js';
import { runPlots } from './plots/index.js';
import { resultNotes } from './table.js';
import { configTable, perClassTable, resultsTable, splitsTable, stagesTable, teacherSplitTable, trainingTable } from './tables.js';

export type { ReportContent } from './content.js';

const PGR_NOTE = 'PGR = (student - weak) / (ceiling - weak), on the test split; agreement is with the weak teacher; ECE uses 15 bins.';
const SPLIT_NOTE = 'On the test examples the weak teacher got right, the share each model kept right; on those it got wrong, the share it fixed (predicted the true label) and the share where it copied the teacher\'s mistake.';
const DATA_NOTE = 'The splits of the dataset, disjoint, from its manifest; empty splits are left out.';
const STAGES_NOTE =
  'The latest attempt of every stage, from the run\'s lineage records (`w2s lineage <runId>` prints them all); "ran for" is the time it ran on its worker (`w2s status` counts from when the stage was scheduled, so waiting for a worker is in its durations).';

/** When the run ran, how long, on which code, and how to run it again: what a reader of a report found later asks first. */
function header(content: ReportContent): string[] {
  const lines: string[] = [];
  if (content.ran) {
    const { startedAt, endedAt, codeVersions } = content.ran;
    const seconds = Math.max(0, (Date.parse(endedAt) - Date.parse(startedAt)) / 1000);
    lines.push(`Ran ${utc(startedAt)} to ${utc(endedAt)} (${formatSeconds(seconds)}, first stage start to last stage end); code version ${codeVersions.join(', ')}.`);
  }
  lines.push(`Run it again, from the storage root: \`w2s run --local --config runs/${content.runId}/report/config.json\` (a new run id; unchanged stages come from the cache).`);
  return lines;
}

const utc = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;

function formatSeconds(total: number): string {
  if (total < 60) return `${total.toFixed(1)} s`;
  const s = Math.round(total);
  return s < 3600 ? `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s` : `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

function intro(content: ReportContent): string {
  return `Run **${content.runName}** on dataset \`${content.datasetId}\` (${content.classNames.length} classes).`;
}

export function renderMarkdown(content: ReportContent, htmlLocation?: string): string {
  const sections: MarkdownSection[] = [
    { title: 'Results', text: [PGR_NOTE, ...resultNotes(content.rows).map((note) => `> ${note}`)].join('\n\n'), table: resultsTable(content) },
    { title: 'Training', table: trainingTable(content) },
    { title: 'Agreement with the teacher', text: SPLIT_NOTE, table: teacherSplitTable(content) },
    { title: 'Accuracy per class', table: perClassTable(content) },
    ...(content.splits ? [{ title: 'Data', text: DATA_NOTE, table: splitsTable(content) }] : []),
    { title: 'Stages', text: STAGES_NOTE, table: stagesTable(content) },
    { title: 'Configuration', text: `sha256 of its canonical JSON: \`${content.configHash}\``, table: configTable(content) },
  ];
  const where = htmlLocation ? [`Plots (training curves, PGR, alpha, confusion matrices, agreement with the teacher) are in the HTML report: ${htmlLocation}`] : [];
  return markdownDocument(`w2s run ${content.runId}`, [intro(content), ...header(content), ...where], sections);
}

export async function renderHtml(content: ReportContent, onPlot?: () => void): Promise<string> {
  const plots = runPlots(content);
  const byId = (id: string): HtmlBlock[] => plots.filter((p) => p.id === id).map((plot) => ({ kind: 'plot', plot }));
  const notes = resultNotes(content.rows).map((note) => `<p><strong>Note:</strong> ${escapeHtml(note)}</p>`).join('');
  const blocks: HtmlBlock[] = [
    { kind: 'table', title: 'Results', table: resultsTable(content), caption: PGR_NOTE },
    ...byId('accuracy'),
    ...byId('training-curves'),
    { kind: 'table', title: 'Training summary', table: trainingTable(content) },
    ...byId('alpha'),
    ...byId('teacher-split'),
    { kind: 'table', title: 'Agreement with the teacher (table)', table: teacherSplitTable(content), caption: SPLIT_NOTE },
    ...byId('per-class'),
    ...byId('confusion'),
    ...byId('timeline'),
    ...(content.splits ? [{ kind: 'table' as const, title: 'Data', table: splitsTable(content), caption: DATA_NOTE }] : []),
    { kind: 'table', title: 'Stages', table: stagesTable(content), caption: STAGES_NOTE },
    { kind: 'table', title: 'Configuration', table: configTable(content), caption: `sha256 of its canonical JSON: ${content.configHash}` },
  ];
  const headerHtml = header(content)
    .map((line) => `<p>${escapeHtml(line).replace(/`([^`]+)`/g, '<code>$1</code>')}</p>`)
    .join('');
  const introHtml = `<p>Run <b>${escapeHtml(content.runName)}</b> on dataset <code>${escapeHtml(content.datasetId)}</code>; classes: ${content.classNames.map(escapeHtml).join(', ')}.</p>${headerHtml}${notes}`;
  return htmlDocument(`w2s run ${content.runId}`, introHtml, blocks, onPlot);
}
