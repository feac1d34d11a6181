import type { Command } from 'commander';
import type { TemporalFlags } from '../../core/temporal-settings.js';
import { withClient } from '../client.js';
import { readRunView } from '../run-view.js';
import { renderRunView } from '../status-view.js';
import { settingsFrom, withTemporalOptions } from '../temporal-options.js';

interface StatusFlags extends TemporalFlags {
  readonly json?: boolean;
  readonly watch?: boolean;
  readonly interval: string;
}

export function registerStatus(program: Command): void {
  withTemporalOptions(program.command('status'))
    .description('show where a run is: every stage (pending ones too) with durations, attempts and last errors, and each training with its ETA')
    .argument('<runId>', 'the run (workflow id) to show')
    .option('--json', 'machine-readable output')
    .option('--watch', 'redraw until the run ends')
    .option('--interval <seconds>', 'seconds between redraws with --watch', '2')
    .action(async (runId: string, flags: StatusFlags) => {
      const address = settingsFrom(flags).address;
      const everyMs = Number(flags.interval) * 1000;
      if (!(everyMs > 0)) throw new Error(`--interval ${flags.interval}: expected a positive number of seconds`);
      await withClient(flags, async (client) => {
        const handle = client.workflow.getHandle(runId);
        let drawn = 0;
        for (;;) {
          const view = await readRunView(handle, address);
          if (flags.json) {
            console.log(JSON.stringify(view, null, flags.watch ? undefined : 2));
          } else {
            const text = renderRunView(view);
            // On a terminal the view is redrawn in place; elsewhere each refresh follows the last.
            if (flags.watch && drawn > 0 && process.stdout.isTTY) process.stdout.write(`\x1b[${drawn}A\x1b[0J`);
            console.log(text);
            drawn = text.split('\n').length;
          }
          if (!flags.watch || view.status !== 'RUNNING') return;
          await new Promise((resolve) => setTimeout(resolve, everyMs));
        }
      });
    });
}
