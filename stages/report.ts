/** The report stage: the results table with PGR, as JSON, Markdown and HTML objects. */
import { canonicalJson } from '../core/hash.js';
import { renderHtml, renderMarkdown } from '../report/render.js';
import { resultRows } from '../report/rows.js';
import type { ReportInput, ReportOutput } from '../schemas/stages.js';
import { reportKey } from '../storage/layout.js';
import type { StageRuntime } from './runtime.js';
import { lineageObject, runStage } from './stage.js';
import { putObject } from './stores.js';

export async function writeReport(input: ReportInput, runtime: StageRuntime): Promise<ReportOutput> {
  return runStage({
    context: input,
    kind: 'report',
    config: { runName: input.runName, metrics: input.models.map((m) => ({ name: m.name, role: m.role, method: m.method, metrics: m.metrics })) },
    inputs: input.models.map((m) => lineageObject(m.model, 'model')),
    // A report names its run, so it is written per run rather than reused from another.
    cacheable: false,
    outputsOf: (out) => [lineageObject(out.table, 'table'), lineageObject(out.markdown, 'report'), lineageObject(out.html, 'report')],
    metricsOf: (out) => Object.fromEntries(out.rows.map((r) => [`accuracy.${r.name}`, r.accuracy])),
    run: async (store) => {
      const rows = resultRows(input.models);
      const content = { runId: input.runId, runName: input.runName, datasetId: input.datasetId, rows, config: input.config };
      const table = await putObject(store, reportKey(input.runId, 'table'), `${canonicalJson(rows)}\n`, 'application/json');
      const markdown = await putObject(store, reportKey(input.runId, 'markdown'), renderMarkdown(content), 'text/markdown');
      const html = await putObject(store, reportKey(input.runId, 'html'), renderHtml(content), 'text/html');
      return { rows, table, markdown, html, cached: false };
    },
  }, runtime);
}
