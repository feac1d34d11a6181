import type { Command } from 'commander';
import { withClient } from '../client.js';
import { withTemporalOptions } from '../temporal-options.js';
import type { TemporalFlags } from '../../workers/connection.js';

export function registerCancel(program: Command): void {
  withTemporalOptions(program.command('cancel'))
    .description('cancel a run; training stages write a checkpoint before they stop')
    .argument('<runId>', 'the run\'s id (its workflow id), as printed when it started')
    .option('--wait', 'wait until the run has stopped')
    .action(async (runId: string, flags: TemporalFlags & { wait?: boolean }) => {
      await withClient(flags, async (client) => {
        const handle = client.workflow.getHandle(runId);
        await handle.cancel();
        if (flags.wait) await handle.result().catch(() => undefined);
        console.log(`cancel requested for ${runId}${flags.wait ? ' (stopped)' : ''}`);
      });
    });
}
