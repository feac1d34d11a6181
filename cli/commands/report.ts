import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { BadInputError } from '../../core/errors.js';
import { reportKey, STORAGE_HELP, stageKey, storageRoot } from '../../storage/layout.js';
import { openStore } from '../../storage/open.js';

interface ReportFlags {
  readonly storage?: string;
  readonly json?: boolean;
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description("print a finished run's report (Markdown) and where its HTML page is")
    .argument('<runId>')
    .option('--storage <uri>', STORAGE_HELP)
    .option('--json', 'the results table as JSON')
    .action(async (runId: string, flags: ReportFlags) => {
      const store = openStore(storageRoot(flags.storage));
      if (!(await store.exists(reportKey(runId, 'markdown')))) throw new BadInputError(`run ${runId}`, `has no report under ${store.uriOf(stageKey(runId, 'report'))} (not finished, or another --storage?)`);
      if (flags.json) {
        process.stdout.write(new TextDecoder().decode(await store.get(reportKey(runId, 'table'))));
        return;
      }
      const html = store.uriOf(reportKey(runId, 'html'));
      console.log(new TextDecoder().decode(await store.get(reportKey(runId, 'markdown'))));
      console.log(`html: ${html.startsWith('file:') ? fileURLToPath(html) : html}`);
    });
}
