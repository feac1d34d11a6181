import type { Command } from 'commander';
import { WorkflowNotFoundError } from '@temporalio/client';
import { BadInputError } from '../../core/errors.js';
import { withClient } from '../client.js';
import { clock } from '../status-view.js';
import { settingsFrom, withTemporalOptions } from '../temporal-options.js';
import type { TemporalFlags } from '../../core/temporal-settings.js';

export function registerCancel(program: Command): void {
  withTemporalOptions(program.command('cancel'))
    .description('cancel a run; training stages write a checkpoint before they stop')
    .argument('<runId>', 'the run\'s id (its workflow id), as printed when it started')
    .option('--wait', 'wait until the run has stopped')
    .action(async (runId: string, flags: TemporalFlags & { wait?: boolean }) => {
      const address = settingsFrom(flags).address;
      await withClient(flags, async (client) => {
        const handle = client.workflow.getHandle(runId);
        // The server accepts a cancel of a closed run and does nothing: say so rather than "cancel requested".
        const description = await handle.describe().catch((error: unknown) => {
          if (error instanceof WorkflowNotFoundError) throw new BadInputError(`run ${runId}`, `no such run on the Temporal server at ${address} (w2s list shows the runs there)`);
          throw error;
        });
        if (description.status.name !== 'RUNNING') {
          const ended = description.closeTime ? ` at ${clock(description.closeTime.toISOString())}` : '';
          throw new BadInputError(`run ${runId}`, `already ${description.status.name}${ended}; there is nothing to cancel`);
        }
        await handle.cancel();
        if (flags.wait) await handle.result().catch(() => undefined);
        console.log(`cancel requested for ${runId}${flags.wait ? ' (stopped)' : ''}`);
      });
    });
}
