/**
 * Scheduled retraining with Temporal Schedules: each trigger starts a
 * `retrain` workflow, which re-ingests, reuses cached stages, trains a
 * challenger and promotes it only if it beats the champion.
 */
import { type Command, Option } from 'commander';
import { ScheduleOverlapPolicy, type ScheduleSpec } from '@temporalio/client';
import { readRunConfig } from '../config-file.js';
import { checkRunConfig } from '../../stages/validate.js';
import { withClient } from '../client.js';
import { withTemporalOptions } from '../temporal-options.js';
import { submittedConfig } from '../start-run.js';
import { CPU_QUEUE } from '../../schemas/names.js';
import type { TemporalFlags } from '../../workers/connection.js';

interface CreateFlags extends TemporalFlags {
  readonly config: string;
  readonly cron?: string;
  readonly every?: string;
  readonly paused?: boolean;
  readonly json?: boolean;
}

function scheduleSpec(flags: CreateFlags): ScheduleSpec {
  if (Boolean(flags.cron) === Boolean(flags.every)) throw new Error('schedule create: give exactly one of --cron "<expr>" or --every <duration> (e.g. 24h)');
  return flags.cron ? { cronExpressions: [flags.cron] } : { intervals: [{ every: flags.every as `${number}h` }] };
}

export function registerSchedule(program: Command): void {
  const schedule = program.command('schedule').description('scheduled retraining (Temporal Schedules)');

  withTemporalOptions(schedule.command('create'))
    .argument('<scheduleId>')
    .requiredOption('--config <file>', 'run configuration, YAML or JSON')
    .option('--cron <expr>', 'cron expression, e.g. "0 3 * * *"')
    .option('--every <duration>', 'interval, e.g. 24h or 30m')
    .option('--paused', 'create paused')
    .option('--json', 'machine-readable output')
    .action(async (scheduleId: string, flags: CreateFlags) => {
      const config = readRunConfig(flags.config);
      await checkRunConfig(config);
      const spec = scheduleSpec(flags);
      await withClient(flags, async (client) => {
        await client.schedule.create({
          scheduleId,
          spec,
          action: { type: 'startWorkflow', workflowType: 'retrain', taskQueue: CPU_QUEUE, workflowId: `${scheduleId}-retrain`, args: [{ config: submittedConfig(config) }] },
          policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' },
          state: { paused: Boolean(flags.paused) },
        });
        console.log(flags.json ? JSON.stringify({ scheduleId }) : `created schedule ${scheduleId}`);
      });
    });

  withTemporalOptions(schedule.command('list'))
    .option('--json', 'machine-readable output')
    .action(async (flags: TemporalFlags & { json?: boolean }) => {
      await withClient(flags, async (client) => {
        const rows: Array<{ scheduleId: string; paused: boolean; next: string[] }> = [];
        for await (const summary of client.schedule.list()) {
          rows.push({ scheduleId: summary.scheduleId, paused: summary.state.paused, next: (summary.info?.nextActionTimes ?? []).slice(0, 1).map((d) => d.toISOString()) });
        }
        if (flags.json) console.log(JSON.stringify(rows, null, 2));
        else for (const r of rows) console.log(`${r.scheduleId}${r.paused ? ' (paused)' : ''}  next: ${r.next[0] ?? '-'}`);
      });
    });

  withTemporalOptions(schedule.command('describe'))
    .argument('<scheduleId>')
    .option('--json', 'machine-readable output')
    .action(async (scheduleId: string, flags: TemporalFlags & { json?: boolean }) => {
      await withClient(flags, async (client) => {
        const d = await client.schedule.getHandle(scheduleId).describe();
        const view = {
          scheduleId,
          paused: d.state.paused,
          spec: d.spec,
          nextActionTimes: d.info.nextActionTimes.map((t) => t.toISOString()),
          recentActions: d.info.recentActions.map((a) => ({ at: a.takenAt.toISOString(), workflowId: a.action.type === 'startWorkflow' ? a.action.workflow.workflowId : undefined })),
          runningActions: d.info.runningActions.map((a) => a.workflow.workflowId),
        };
        console.log(flags.json ? JSON.stringify(view, null, 2) : formatDescription(view));
      });
    });

  withTemporalOptions(schedule.command('trigger'))
    .argument('<scheduleId>')
    .addOption(new Option('--overlap <policy>', 'what to do if a run is going').choices(['skip', 'allow-all', 'buffer-one']).default('allow-all'))
    .action(async (scheduleId: string, flags: TemporalFlags & { overlap: string }) => {
      const overlap = { skip: ScheduleOverlapPolicy.SKIP, 'allow-all': ScheduleOverlapPolicy.ALLOW_ALL, 'buffer-one': ScheduleOverlapPolicy.BUFFER_ONE }[flags.overlap];
      await withClient(flags, async (client) => {
        await client.schedule.getHandle(scheduleId).trigger(overlap);
        console.log(`triggered ${scheduleId}`);
      });
    });

  withTemporalOptions(schedule.command('delete'))
    .argument('<scheduleId>')
    .action(async (scheduleId: string, flags: TemporalFlags) => {
      await withClient(flags, async (client) => {
        await client.schedule.getHandle(scheduleId).delete();
        console.log(`deleted ${scheduleId}`);
      });
    });
}

function formatDescription(view: { scheduleId: string; paused: boolean; nextActionTimes: string[]; recentActions: Array<{ at: string; workflowId?: string }>; runningActions: string[] }): string {
  return [
    `${view.scheduleId}${view.paused ? ' (paused)' : ''}`,
    `  next: ${view.nextActionTimes.join(', ') || '-'}`,
    `  running: ${view.runningActions.join(', ') || '-'}`,
    '  recent:',
    ...view.recentActions.map((a) => `    ${a.at}  ${a.workflowId ?? ''}`),
  ].join('\n');
}
