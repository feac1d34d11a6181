import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { formatResults } from '../../report/table.js';
import { checkRunConfig } from '../../stages/validate.js';
import { STORAGE_HELP } from '../../storage/layout.js';
import { absoluteStorageUri, objectUri } from '../../storage/uri.js';
import type { TemporalFlags } from '../../core/temporal-settings.js';
import { withClient } from '../client.js';
import { readRunConfig, withRunFlags } from '../config-file.js';
import { followRun } from '../follow.js';
import { checkRunId, startPipeline } from '../start-run.js';
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
      const config = withRunFlags(readRunConfig(flags.config), flags);
      if (flags.local) {
        // Loaded only here: the embedded workers pull in TensorFlow.js and the worker SDK.
        const { runLocally } = await import('../local-run.js');
        await runLocally(config, { json: Boolean(flags.json), ...(flags.id !== undefined ? { runId: flags.id } : {}) });
        return;
      }
      await checkRunConfig(config);
      const runId = flags.id ?? `${config.name}-${randomUUID().slice(0, 8)}`;
      // Before connecting: a bad id is the user's to fix whether or not a server is up.
      checkRunId(runId);
      const settings = settingsFrom(flags);
      const again = (finished: boolean) => nextSteps({ runId, storage: config.storage, temporal: settings, finished }).join('\n');
      await withClient(flags, async (client) => {
        const handle = await startPipeline(client, config, runId);
        if (!flags.wait) {
          console.log(flags.json ? JSON.stringify({ runId }) : `started ${runId}\n\n${again(false)}`);
          return;
        }
        const result = await followRun(handle, { bars: !flags.json && Boolean(process.stderr.isTTY) });
        console.log(flags.json ? JSON.stringify(result, null, 2) : `${formatResults(result.rows)}\n\nreport: ${objectUri(absoluteStorageUri(config.storage), result.report.html.key)}\n\n${again(true)}`);
      });
    });
}
