/**
 * `w2s report <id>`: a finished run's report (Markdown on stdout, and where
 * its HTML page is), or, for the id of a sweep, one report comparing its
 * runs. The HTML of a run in a bucket, or of a sweep, is written to a local
 * file (`--out`) that opens without network.
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { BadInputError } from '../../core/errors.js';
import { renderSweepHtml, renderSweepMarkdown, type SweepRun } from '../../report/sweep.js';
import type { ResultRow } from '../../schemas/stages.js';
import { reportKey, STORAGE_HELP, stageKey, storageRoot } from '../../storage/layout.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { openStore } from '../../storage/open.js';
import { readRun, reportedRuns } from '../results/collect.js';

interface ReportFlags {
  readonly storage?: string;
  readonly json?: boolean;
  readonly out?: string;
}

const text = async (store: ObjectStore, key: string) => new TextDecoder().decode(await store.get(key));

export function registerReport(program: Command): void {
  program
    .command('report')
    .description("print a finished run's report (Markdown) and where its HTML page is; for a sweep id, one report comparing its runs")
    .argument('<id>', 'run id, or sweep id')
    .option('--storage <uri>', STORAGE_HELP)
    .option('--json', 'the results table as JSON')
    .option('--out <file>', 'write the HTML page to this local file (default for a gs:// run or a sweep: ./w2s-report-<id>.html)')
    .action(async (id: string, flags: ReportFlags) => {
      const store = openStore(storageRoot(flags.storage));
      if (await store.exists(reportKey(id, 'markdown'))) return runReport(store, id, flags);
      const children = await sweepRuns(store, id);
      if (children.length > 0) return sweepReport(store, id, children, flags);
      throw new BadInputError(`run ${id}`, `has no report under ${store.uriOf(stageKey(id, 'report'))}, and no runs ${id}-* of a sweep have one (not finished, or another --storage?)`);
    });
}

async function runReport(store: ObjectStore, runId: string, flags: ReportFlags): Promise<void> {
  if (flags.json) {
    process.stdout.write(await text(store, reportKey(runId, 'table')));
    return;
  }
  console.log(await text(store, reportKey(runId, 'markdown')));
  const html = store.uriOf(reportKey(runId, 'html'));
  if (flags.out === undefined && html.startsWith('file:')) {
    console.log(`html: ${fileURLToPath(html)}`);
    return;
  }
  const out = resolve(flags.out ?? `w2s-report-${safeName(runId)}.html`);
  await writeFile(out, await store.get(reportKey(runId, 'html')));
  console.log(`html: ${out}`);
}

/** Runs named `<sweepId>-<point>` whose report was written, as the sweep workflow names its children. */
async function sweepRuns(store: ObjectStore, sweepId: string): Promise<string[]> {
  return reportedRuns(store, `${sweepId}-`);
}

async function sweepReport(store: ObjectStore, sweepId: string, runIds: readonly string[], flags: ReportFlags): Promise<void> {
  const runs: SweepRun[] = await Promise.all(
    runIds.map(async (runId) => {
      const run = await readRun(store, runId);
      return { runId, seed: run.config.seed, rows: run.rows as readonly ResultRow[] };
    }),
  );
  if (flags.json) {
    console.log(JSON.stringify(runs, null, 2));
    return;
  }
  const out = resolve(flags.out ?? `w2s-report-${safeName(sweepId)}.html`);
  await writeFile(out, await renderSweepHtml({ sweepId, runs }));
  console.log(renderSweepMarkdown({ sweepId, runs }, out));
  console.log(`html: ${out}`);
}

/** Run ids may hold ':' (scheduled runs) and '/': neither belongs in a file name. */
function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]+/g, '_');
}
