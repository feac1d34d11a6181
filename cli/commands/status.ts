import type { Command } from 'commander';
import { formatResults } from '../../report/table.js';
import { PROGRESS_QUERY } from '../../schemas/names.js';
import type { PipelineProgress } from '../../schemas/stages.js';
import { withClient } from '../client.js';
import { withTemporalOptions } from '../temporal-options.js';
import type { TemporalFlags } from '../../workers/connection.js';

export function registerStatus(program: Command): void {
  withTemporalOptions(program.command('status'))
    .description('show where a run is: its phase, every stage, training progress')
    .argument('<runId>')
    .option('--json', 'machine-readable output')
    .action(async (runId: string, flags: TemporalFlags & { json?: boolean }) => {
      await withClient(flags, async (client) => {
        const handle = client.workflow.getHandle(runId);
        const description = await handle.describe();
        const progress = await handle.query<PipelineProgress>(PROGRESS_QUERY).catch(() => undefined);
        if (flags.json) {
          console.log(JSON.stringify({ runId, status: description.status.name, progress }, null, 2));
          return;
        }
        console.log(`${runId}: ${description.status.name}${progress ? `, phase ${progress.phase}` : ''}`);
        if (!progress) return;
        for (const [stage, status] of Object.entries(progress.stages)) console.log(`  ${stage.padEnd(28)} ${status}`);
        if (progress.labeling.total) console.log(`  labeling: ${progress.labeling.done}/${progress.labeling.total} shards`);
        for (const [name, p] of Object.entries(progress.training)) {
          console.log(`  train ${name}: epoch ${p.epoch}, step ${p.step}/${p.totalSteps}, loss ${p.loss.toFixed(4)}, ${p.imagesPerSecond.toFixed(0)} img/s`);
        }
        if (progress.rows.length) console.log(`\n${formatResults(progress.rows)}`);
      });
    });
}
