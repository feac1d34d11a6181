import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { formatResults } from '../../report/table.js';
import { STORAGE_HELP } from '../../storage/layout.js';
import { absoluteStorageUri, objectUri } from '../../storage/uri.js';
import type { TemporalFlags } from '../../core/temporal-settings.js';
import { withClient } from '../client.js';
import { readRunPlan } from '../config-file.js';
import { followRun } from '../follow.js';
import { startPipeline } from '../start-run.js';
import { nextSteps } from '../next-steps.js';
import { settingsFrom, withTemporalOptions } from '../temporal-options.js';

interface RunFlags extends TemporalFlags {
  readonly config: string;
  readonly seed?: string;
  readonly storage?: string;
  readonly id?: string;
  readonly wait?: boolean;
  readonly json?: boolean;
  readonly local?: boolean;
}

export function registerRun(program: Command): void {
  withTemporalOptions(program.command('run'))
    .description('start a weak-to-strong run on a Temporal cluster (workers run elsewhere: `w2s worker`)')
    .requiredOption('--config <file>', 'run configuration, YAML or JSON')
    .option('--seed <n>', "run seed instead of the config's")
    .option('--storage <uri>', `storage root instead of the config's (${STORAGE_HELP})`)
    .option('--id <runId>', 'run id (the workflow id); default <name>-<random>')
    .option('--wait', 'follow progress and print the results table')
    .option('--json', 'machine-readable output')
    .option('--local', 'run on this machine instead (local Temporal dev server or TEMPORAL_ADDRESS, in-process workers) and wait for the results, as quickstart does')
    .action(async (flags: RunFlags) => {
      // The one parse of the config, its rules, the run id and this machine's checks, before connecting: a bad config or id is the user's to fix whether or not a server is up.
      const plan = await readRunPlan(flags.config, flags, { ...(flags.id !== undefined ? { runId: flags.id } : {}), randomSuffix: randomUUID().slice(0, 8) });
      if (flags.local) {
        // Loaded only here: the embedded workers pull in TensorFlow.js and the worker SDK.
        const { runLocally } = await import('../local-run.js');
        await runLocally(plan, { json: Boolean(flags.json), ...(flags.id !== undefined ? { runId: flags.id } : {}) });
        return;
      }
      const { config, runId } = plan;
      const settings = settingsFrom(flags);
      const again = (finished: boolean) => nextSteps({ runId, storage: config.storage, temporal: settings, finished }).join('\n');
      await withClient(flags, async (client) => {
        const handle = await startPipeline(client, plan);
        if (!flags.wait) {
          console.log(flags.json ? JSON.stringify({ runId }) : `started ${runId}\n\n${again(false)}`);
          return;
        }
        const result = await followRun(handle, { bars: !flags.json && Boolean(process.stderr.isTTY) });
        console.log(flags.json ? JSON.stringify(result, null, 2) : `${formatResults(result.rows)}\n\nreport: ${objectUri(absoluteStorageUri(config.storage), result.report.html.key)}\n\n${again(true)}`);
      });
    });
}
