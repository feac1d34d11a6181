/**
 * A run on the embedded default (`w2s run --local`, `w2s quickstart`): checks
 * the config, runs it with a local dev server and in-process workers (or
 * resumes the same config's interrupted run), and prints the results table
 * once, the students' margins, where the report is and the commands that
 * look at the run again.
 */
import { fileURLToPath } from 'node:url';
import { formatResults } from '../report/table.js';
import type { PlannedRun } from '../schemas/plan.js';
import { runEmbedded } from './embedded.js';
import { studentMargins } from './margins.js';
import { nextSteps } from './next-steps.js';
import { absoluteStorageUri, objectUri } from '../storage/uri.js';

export interface LocalRunOptions {
  readonly json?: boolean;
  /** The id the user chose: only that run is resumed (the plan's own id is drawn afresh each time). */
  readonly runId?: string;
}

/** A local path for a `file:` URI, the URI itself otherwise (gs://). */
function displayed(uri: string): string {
  return uri.startsWith('file:') ? fileURLToPath(uri) : uri;
}

export async function runLocally(plan: PlannedRun, options: LocalRunOptions): Promise<void> {
  const { config } = plan;
  const started = Date.now();
  const result = await runEmbedded(plan, { bars: !options.json && Boolean(process.stderr.isTTY), ...(options.runId !== undefined ? { runId: options.runId } : {}) });
  if (options.json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  const root = absoluteStorageUri(config.storage);
  const margins = studentMargins(result.rows);
  console.log(
    [
      formatResults(result.rows),
      ...(margins.length ? ['', ...margins] : []),
      '',
      `run ${result.runId} finished in ${((Date.now() - started) / 1000).toFixed(0)} s`,
      `report: ${displayed(objectUri(root, result.report.html.key))}`,
      '',
      ...nextSteps({ runId: result.runId, storage: config.storage, finished: true }),
    ].join('\n'),
  );
}
