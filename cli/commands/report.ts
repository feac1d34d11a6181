import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { BadInputError } from '../../core/errors.js';
import { openStore } from '../../storage/open.js';
import { STORAGE_HELP, storageRoot } from './lineage.js';

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
      const base = `runs/${runId}/report`;
      if (!(await store.exists(`${base}/report.md`))) throw new BadInputError(`run ${runId}`, `has no report under ${store.uriOf(base)} (not finished, or another --storage?)`);
      if (flags.json) {
        process.stdout.write(new TextDecoder().decode(await store.get(`${base}/table.json`)));
        return;
      }
      const html = store.uriOf(`${base}/report.html`);
      console.log(new TextDecoder().decode(await store.get(`${base}/report.md`)));
      console.log(`html: ${html.startsWith('file:') ? fileURLToPath(html) : html}`);
    });
}
