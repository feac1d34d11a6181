/**
 * The report stage: the results table with PGR, the run's configuration,
 * and the report as Markdown (tables) and self-contained HTML (tables and
 * plots), from the run's stored outputs.
 */
import { canonicalJson, hashJson } from '../core/hash.js';
import type { ReportContent } from '../report/content.js';
import { renderHtml, renderMarkdown } from '../report/render.js';
import { resultRows } from '../report/rows.js';
import type { ReportInput, ReportOutput } from '../schemas/stages.js';
import { REPORT_FILES, reportKey } from '../storage/layout.js';
import { gatherReport } from './report-content.js';
import type { StageRuntime } from './runtime.js';
import { lineageObject, runStage } from './stage.js';
import { putObject } from './stores.js';

export async function writeReport(input: ReportInput, runtime: StageRuntime): Promise<ReportOutput> {
  // Gathering and drawing take seconds: heartbeats between the steps keep a short heartbeat timeout from presuming the worker lost.
  runtime.heartbeat();
  const gathered = await gatherReport(runtime.deps.storeAt(input.storage), input);
  runtime.heartbeat();
  return runStage({
    context: input,
    kind: 'report',
    config: { runName: input.runName, metrics: input.models.map((m) => ({ name: m.name, role: m.role, method: m.method, metrics: m.metrics })) },
    inputs: [...input.models.map((m) => lineageObject(m.model, 'model')), ...gathered.read],
    // A report names its run, so it is written per run rather than reused from another.
    cacheable: false,
    outputsOf: (out) => [lineageObject(out.table, 'table'), lineageObject(out.config, 'config'), lineageObject(out.markdown, 'report'), lineageObject(out.html, 'report')],
    metricsOf: (out) => Object.fromEntries(out.rows.map((r) => [`accuracy.${r.name}`, r.accuracy])),
    run: async (store) => {
      const rows = resultRows(input.models);
      const content: ReportContent = {
        runId: input.runId,
        runName: input.runName,
        datasetId: input.datasetId,
        classNames: gathered.classNames,
        rows,
        trainings: gathered.trainings,
        evaluations: gathered.evaluations,
        stages: gathered.stages,
        ...(gathered.splits ? { splits: gathered.splits } : {}),
        config: input.config,
        configHash: hashJson(input.config),
        ...(gathered.ran ? { ran: gathered.ran } : {}),
      };
      const table = await putObject(store, reportKey(input.runId, 'table'), `${canonicalJson(rows)}\n`, 'application/json');
      const config = await putObject(store, reportKey(input.runId, 'config'), `${JSON.stringify(input.config, null, 2)}\n`, 'application/json');
      const markdown = await putObject(store, reportKey(input.runId, 'markdown'), renderMarkdown(content, REPORT_FILES.html), 'text/markdown');
      const html = await putObject(store, reportKey(input.runId, 'html'), await renderHtml(content, () => runtime.heartbeat()), 'text/html');
      return { rows, table, config, markdown, html, cached: false };
    },
  }, runtime);
}
