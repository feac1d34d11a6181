/**
 * Scheduled retraining with Temporal Schedules: each trigger starts a
 * `retrain` workflow, which re-ingests, reuses cached stages, trains a
 * challenger and promotes it only if it beats the champion.
 */
import { type Command, Option } from 'commander';
import { type Client, type ScheduleDescription, ScheduleNotFoundError, type ScheduleOverlapPolicy, type ScheduleSpec } from '@temporalio/client';
import { msToNumber } from '@temporalio/common/lib/time.js';
import { BadInputError } from '../../core/errors.js';
import { readRunPlan } from '../config-file.js';
import { retrain } from '../../workflows/retrain.js';
import { withClient } from '../client.js';
import { withTemporalOptions } from '../temporal-options.js';
import { checkSearchAttributes, submittedConfig } from '../start-run.js';
import { CPU_QUEUE } from '../../schemas/names.js';
import type { RunConfig } from '../../schemas/pipeline.js';
import type { TemporalFlags } from '../../core/temporal-settings.js';
import { formatOutcome, runOutcome, type RunOutcome } from '../schedule-outcomes.js';

/** What a schedule does when it fires while an earlier retrain still runs (Temporal's overlap policies). */
const OVERLAP: Readonly<Record<string, ScheduleOverlapPolicy>> = {
  skip: 'SKIP',
  'buffer-one': 'BUFFER_ONE',
  'buffer-all': 'BUFFER_ALL',
  'cancel-other': 'CANCEL_OTHER',
  'terminate-other': 'TERMINATE_OTHER',
  'allow-all': 'ALLOW_ALL',
};
const OVERLAP_HELP = 'when it fires while a retrain still runs: skip the new one, buffer one or all to run after it, cancel or terminate the running one, or allow both';
export const DEFAULT_OVERLAP = 'skip';
export const DEFAULT_CATCHUP_WINDOW = '1h';
export const DEFAULT_TIMEZONE = 'UTC';
/** The memo key holding the cron expression or interval as given (the server keeps a cron only as calendar fields). */
const SPEC_MEMO = 'w2sSpec';

interface PolicyFlags {
  readonly overlap?: string;
  readonly catchupWindow?: string;
}

interface CreateFlags extends TemporalFlags, PolicyFlags {
  readonly config: string;
  readonly cron?: string;
  readonly every?: string;
  readonly timezone: string;
  readonly paused?: boolean;
  readonly json?: boolean;
}

interface UpdateFlags extends TemporalFlags, PolicyFlags {
  readonly config?: string;
  readonly json?: boolean;
}

function duration(flag: string, value: string): number {
  try {
    return msToNumber(value as `${number}h`);
  } catch {
    throw new BadInputError(`${flag} ${value}`, 'expected a duration such as 30m, 1h or 24h');
  }
}

function checkTimezone(zone: string): void {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
  } catch {
    throw new BadInputError(`--timezone ${zone}`, 'not an IANA time zone (e.g. UTC, Europe/Paris, America/New_York)');
  }
}

function scheduleSpec(flags: CreateFlags): { spec: ScheduleSpec; text: string } {
  if (Boolean(flags.cron) === Boolean(flags.every)) throw new BadInputError('schedule create', 'give exactly one of --cron "<expr>" or --every <duration> (e.g. 24h)');
  checkTimezone(flags.timezone);
  if (flags.cron) return { spec: { cronExpressions: [flags.cron], timezone: flags.timezone }, text: `cron ${flags.cron}` };
  const every = duration('--every', flags.every ?? '');
  if (every <= 0) throw new BadInputError(`--every ${flags.every}`, 'must be longer than zero');
  return { spec: { intervals: [{ every }], timezone: flags.timezone }, text: `every ${flags.every}` };
}

function policies(flags: PolicyFlags): { overlap?: ScheduleOverlapPolicy; catchupWindow?: number } {
  return {
    ...(flags.overlap !== undefined ? { overlap: OVERLAP[flags.overlap] as ScheduleOverlapPolicy } : {}),
    ...(flags.catchupWindow !== undefined ? { catchupWindow: duration('--catchup-window', flags.catchupWindow) } : {}),
  };
}

/**
 * The config a schedule keeps, planned and checked now: the schedule holds
 * the config, not the plan, and each firing plans it afresh (a schedule
 * outlives releases; a plan's shape is the release's).
 */
async function checkedConfig(file: string): Promise<RunConfig> {
  const { config } = await readRunPlan(file, {});
  return submittedConfig(config);
}

/** Runs `fn` on the schedule; a schedule that does not exist is the user's mistake, told in one line. */
async function onSchedule<T>(client: Client, scheduleId: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) throw new BadInputError(`schedule ${scheduleId}`, 'not found (w2s schedule list shows the schedules)');
    throw error;
  }
}

const overlapOption = (help: string) => new Option('--overlap <policy>', help).choices(Object.keys(OVERLAP));
const idArgument = (command: Command) => command.argument('<scheduleId>', 'the schedule\'s id, as given to `schedule create`');

export function registerSchedule(program: Command): void {
  const schedule = program.command('schedule').description('scheduled retraining (Temporal Schedules): each firing retrains on the re-read source and promotes only a better model');

  idArgument(withTemporalOptions(schedule.command('create')))
    .description('create a schedule that starts a retrain of the config on a cron or an interval')
    .requiredOption('--config <file>', 'run configuration, YAML or JSON')
    .option('--cron <expr>', 'cron expression, e.g. "0 3 * * *"')
    .option('--every <duration>', 'interval, e.g. 24h or 30m')
    .option('--timezone <zone>', 'IANA time zone the cron expression is read in, e.g. Europe/Paris', DEFAULT_TIMEZONE)
    .addOption(overlapOption(OVERLAP_HELP).default(DEFAULT_OVERLAP))
    .option('--catchup-window <duration>', 'after the server was down, firings missed within this long before it came back still run', DEFAULT_CATCHUP_WINDOW)
    .option('--paused', 'create paused')
    .option('--json', 'machine-readable output')
    .action(async (scheduleId: string, flags: CreateFlags) => {
      const { spec, text } = scheduleSpec(flags);
      const policy = policies(flags);
      const config = await checkedConfig(flags.config);
      await withClient(flags, async (client) => {
        // Every retrain the schedule starts sets w2s's search attributes: refuse now rather than at the first firing.
        await checkSearchAttributes(client);
        await client.schedule.create({
          scheduleId,
          spec,
          action: { type: 'startWorkflow', workflowType: retrain, taskQueue: CPU_QUEUE, workflowId: `${scheduleId}-retrain`, args: [{ config }] },
          policies: policy,
          state: { paused: Boolean(flags.paused) },
          memo: { [SPEC_MEMO]: text },
        });
        console.log(flags.json ? JSON.stringify({ scheduleId }) : `created schedule ${scheduleId}`);
      });
    });

  withTemporalOptions(schedule.command('list'))
    .description('list the schedules with their next firing')
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

  idArgument(withTemporalOptions(schedule.command('describe')))
    .description('show a schedule: when it fires, its policies, and what each recent retrain decided or why it failed')
    .option('--json', 'machine-readable output')
    .action(async (scheduleId: string, flags: TemporalFlags & { json?: boolean }) => {
      await withClient(flags, async (client) => {
        const d = await onSchedule(client, scheduleId, () => client.schedule.getHandle(scheduleId).describe());
        const view = await scheduleView(client, scheduleId, d);
        console.log(flags.json ? JSON.stringify(view, null, 2) : formatDescription(view));
      });
    });

  idArgument(withTemporalOptions(schedule.command('pause')))
    .description('stop the schedule from firing until it is unpaused (running retrains go on)')
    .option('--note <text>', 'why, recorded with the schedule')
    .action(async (scheduleId: string, flags: TemporalFlags & { note?: string }) => {
      await withClient(flags, async (client) => {
        await onSchedule(client, scheduleId, () => client.schedule.getHandle(scheduleId).pause(flags.note ?? 'paused with w2s schedule pause'));
        console.log(`paused ${scheduleId}`);
      });
    });

  idArgument(withTemporalOptions(schedule.command('unpause')))
    .description('let a paused schedule fire again')
    .option('--note <text>', 'why, recorded with the schedule')
    .action(async (scheduleId: string, flags: TemporalFlags & { note?: string }) => {
      await withClient(flags, async (client) => {
        await onSchedule(client, scheduleId, () => client.schedule.getHandle(scheduleId).unpause(flags.note ?? 'unpaused with w2s schedule unpause'));
        console.log(`unpaused ${scheduleId}`);
      });
    });

  idArgument(withTemporalOptions(schedule.command('update')))
    .description('change the config later retrains run, or the policies, keeping the schedule (its timing, state and history)')
    .option('--config <file>', 'new run configuration, YAML or JSON')
    .addOption(overlapOption(OVERLAP_HELP))
    .option('--catchup-window <duration>', 'new catch-up window, e.g. 1h')
    .option('--json', 'machine-readable output')
    .action(async (scheduleId: string, flags: UpdateFlags) => {
      if (flags.config === undefined && flags.overlap === undefined && flags.catchupWindow === undefined) {
        throw new BadInputError('schedule update', 'give at least one of --config, --overlap, --catchup-window');
      }
      const config = flags.config === undefined ? undefined : await checkedConfig(flags.config);
      const policy = policies(flags);
      await withClient(flags, async (client) => {
        await onSchedule(client, scheduleId, () =>
          client.schedule.getHandle(scheduleId).update((previous) => ({
            ...previous,
            ...(config ? { action: { ...previous.action, args: [{ config }] } } : {}),
            policies: { ...previous.policies, ...policy },
          })),
        );
        console.log(flags.json ? JSON.stringify({ scheduleId }) : `updated ${scheduleId}`);
      });
    });

  idArgument(withTemporalOptions(schedule.command('trigger')))
    .description('start a retrain now, whatever the schedule\'s timing')
    .addOption(overlapOption('what to do if a retrain is running: skip leaves it alone, allow-all starts another beside it, ...').default('allow-all'))
    .action(async (scheduleId: string, flags: TemporalFlags & { overlap: string }) => {
      await withClient(flags, async (client) => {
        await onSchedule(client, scheduleId, () => client.schedule.getHandle(scheduleId).trigger(OVERLAP[flags.overlap]));
        console.log(`triggered ${scheduleId}`);
      });
    });

  idArgument(withTemporalOptions(schedule.command('delete')))
    .description('delete the schedule (retrains it started go on; their records stay)')
    .action(async (scheduleId: string, flags: TemporalFlags) => {
      await withClient(flags, async (client) => {
        await onSchedule(client, scheduleId, () => client.schedule.getHandle(scheduleId).delete());
        console.log(`deleted ${scheduleId}`);
      });
    });
}

interface ScheduleView {
  readonly scheduleId: string;
  readonly paused: boolean;
  readonly note?: string;
  /** The cron expression or interval as given at creation, e.g. `cron 0 3 * * *` or `every 24h`. */
  readonly timing: string;
  readonly timezone: string;
  readonly spec: ScheduleDescription['spec'];
  readonly overlap: string;
  readonly catchupWindowMs: number;
  readonly configName?: string;
  readonly nextActionTimes: string[];
  readonly recentActions: Array<{ at: string; workflowId?: string; outcome?: RunOutcome }>;
  readonly runningActions: string[];
}

async function scheduleView(client: Client, scheduleId: string, d: ScheduleDescription): Promise<ScheduleView> {
  const memo = d.memo?.[SPEC_MEMO];
  const overlap = Object.entries(OVERLAP).find(([, policy]) => policy === d.policies.overlap)?.[0] ?? String(d.policies.overlap);
  const args = d.action.type === 'startWorkflow' ? (d.action.args as Array<{ config?: RunConfig }> | undefined) : undefined;
  const recentActions = await Promise.all(
    d.info.recentActions.map(async (a) => {
      const workflowId = a.action.type === 'startWorkflow' ? a.action.workflow.workflowId : undefined;
      return { at: a.takenAt.toISOString(), ...(workflowId ? { workflowId, outcome: await runOutcome(client, workflowId) } : {}) };
    }),
  );
  return {
    scheduleId,
    paused: d.state.paused,
    ...(d.state.note ? { note: d.state.note } : {}),
    timing: typeof memo === 'string' ? memo : timingOf(d.spec),
    timezone: d.spec.timezone ?? DEFAULT_TIMEZONE,
    spec: d.spec,
    overlap,
    catchupWindowMs: d.policies.catchupWindow,
    ...(args?.[0]?.config?.name ? { configName: args[0].config.name } : {}),
    nextActionTimes: d.info.nextActionTimes.map((t) => t.toISOString()),
    recentActions,
    runningActions: d.info.runningActions.map((a) => a.workflow.workflowId),
  };
}

/** For a schedule made elsewhere (no memo): its intervals, else that it fires on calendar times. */
function timingOf(spec: ScheduleDescription['spec']): string {
  const intervals = spec.intervals ?? [];
  if (intervals.length) return intervals.map((i) => `every ${humanMs(msToNumber(i.every))}`).join(', ');
  return spec.calendars?.length ? 'calendar' : '-';
}

function humanMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${ms / 1000}s`;
}

function formatDescription(view: ScheduleView): string {
  return [
    `${view.scheduleId}${view.paused ? ' (paused)' : ''}${view.configName ? `  config: ${view.configName}` : ''}`,
    ...(view.note ? [`  note: ${view.note}`] : []),
    `  fires: ${view.timing} (${view.timezone})`,
    `  overlap: ${view.overlap}   catch-up window: ${humanMs(view.catchupWindowMs)}`,
    `  next: ${view.nextActionTimes.join(', ') || '-'}`,
    `  running: ${view.runningActions.join(', ') || '-'}`,
    '  recent:',
    ...(view.recentActions.length ? view.recentActions.map((a) => `    ${a.at}  ${a.workflowId ?? ''}  ${a.outcome ? formatOutcome(a.outcome) : ''}`.trimEnd()) : ['    -']),
  ].join('\n');
}
