/** `w2s sweep`: one child pipeline per grid point, sharing cached stages, one table at the end. */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { type Command, Option } from 'commander';
import { percent } from '../../report/percent.js';
import { formatTable, resultColumns, RESULT_HEADER } from '../../report/table.js';
import { BadInputError } from '../../core/errors.js';
import { LOSS_METHODS, type LossMethod } from '../../schemas/training.js';
import type { TemporalFlags } from '../../core/temporal-settings.js';
import { CPU_QUEUE } from '../../schemas/names.js';
import { sweep as sweepWorkflow, type SweepGrid } from '../../workflows/sweep.js';
import type { SweepRow } from '../../workflows/sweep.js';
import { withClient } from '../client.js';
import { checkSearchAttributes, submittedConfig } from '../start-run.js';
import { waitForResult } from '../wait-result.js';
import { checkedPlan, planConfig, readConfigValue } from '../config-file.js';
import { allPresetNames, presetSource } from '../preset-files.js';
import { withTemporalOptions } from '../temporal-options.js';

interface SweepFlags extends TemporalFlags {
  readonly config?: string;
  readonly preset?: string;
  readonly method?: string;
  readonly threshold?: string;
  readonly theta?: string;
  readonly finalAlpha?: string;
  readonly temperature?: string;
  readonly weightDecay?: string;
  readonly patience?: string;
  readonly seed?: string;
  readonly parallelism: string;
  readonly id?: string;
  readonly wait?: boolean;
  readonly json?: boolean;
  readonly local?: boolean;
}

function numbers(flag: string, value: string | undefined): number[] | undefined {
  if (value === undefined) return undefined;
  const list = value.split(',').map((v) => Number(v.trim()));
  if (list.some((v) => !Number.isFinite(v))) throw new BadInputError(`--${flag} ${value}`, 'expected comma-separated numbers');
  return list;
}

function methods(value: string | undefined): LossMethod[] | undefined {
  if (value === undefined) return undefined;
  const list = value.split(',').map((v) => v.trim());
  const unknown = list.filter((m) => !(LOSS_METHODS as readonly string[]).includes(m));
  if (unknown.length) throw new BadInputError(`--method ${value}`, `unknown method ${unknown.join(', ')} (known: ${LOSS_METHODS.join(', ')})`);
  return list as LossMethod[];
}

/** `--weight-decay`: non-negative numbers, as the optimizer's schema takes them. */
function weightDecays(value: string | undefined): { weightDecay?: number[] } {
  const list = numbers('weight-decay', value);
  if (list === undefined) return {};
  if (list.some((v) => v < 0)) throw new BadInputError(`--weight-decay ${value}`, 'weight decays must be 0 or more');
  return { weightDecay: list };
}

/** `--patience`: whole numbers of epochs, at least 1. */
function patiences(value: string | undefined): { patience?: number[] } {
  const list = numbers('patience', value);
  if (list === undefined) return {};
  if (list.some((v) => !Number.isInteger(v) || v < 1)) throw new BadInputError(`--patience ${value}`, 'patience is a whole number of epochs, 1 or more');
  return { patience: list };
}

export function registerSweep(program: Command): void {
  withTemporalOptions(program.command('sweep'))
    .description('run a grid of pipelines (method, theta, final alpha, temperature, weight decay, patience, seed) and collect one table; for each seed and student, the best point is chosen on the validation split')
    .option('--config <file>', 'base run configuration, YAML or JSON')
    .option('--preset <name>', `base run configuration by name: ${allPresetNames().join(', ')}`)
    .option('--method <list>', 'loss methods, e.g. hard,adaptconf')
    .option('--theta <list>', 'adaptconf theta values, e.g. 0.25,0.5,1')
    .option('--final-alpha <list>', 'augconf finalAlpha values, e.g. 0.25,0.5,1')
    // The axis of earlier releases, which set theta and finalAlpha at once: refused with the flags that replace it.
    .addOption(new Option('--threshold <list>', 'the axis of earlier releases: refused, naming --theta and --final-alpha').hideHelp())
    .option('--temperature <list>', 'distillation temperatures, e.g. 1,4')
    .option('--weight-decay <list>', "the strong students' (and ceiling's) optimizer weight decay, e.g. 1e-4,1e-2,1e-1")
    .option('--patience <list>', "early stopping's patience in epochs on the validation split, e.g. 1,3 (needs dataset.splits.validation)")
    .option('--seed <list>', 'seeds, e.g. 0,1,2')
    .option('--parallelism <n>', 'child pipelines in flight at once', '2')
    .option('--id <sweepId>', 'sweep id (default <name>-sweep-<random>)')
    .option('--wait', 'wait and print the table')
    .option('--json', 'machine-readable output')
    .option('--local', 'run the sweep on this machine (local Temporal dev server or TEMPORAL_ADDRESS, in-process workers) and wait for the table')
    .action(async (flags: SweepFlags) => {
      if (flags.threshold !== undefined) throw new BadInputError(`--threshold ${flags.threshold}`, `is split into the loss parameters it set: give --theta ${flags.threshold} (adaptconf) and/or --final-alpha ${flags.threshold} (augconf)`);
      if ((flags.config === undefined) === (flags.preset === undefined)) throw new BadInputError('w2s sweep', 'give exactly one of --config <file> and --preset <name>');
      const { where, value } = flags.config !== undefined ? { where: flags.config, value: readConfigValue(flags.config) } : presetSource(flags.preset ?? '');
      // The base config planned once; the sweep id is the plan's run id (default <name>-sweep-<random>).
      const { config, runId: sweepId } = await checkedPlan(planConfig(where, value, { ...(flags.id !== undefined ? { runId: flags.id } : {}), randomSuffix: `sweep-${randomUUID().slice(0, 8)}` }));
      const grid: SweepGrid = {
        ...(methods(flags.method) ? { method: methods(flags.method) } : {}),
        ...(numbers('theta', flags.theta) ? { theta: numbers('theta', flags.theta) } : {}),
        ...(numbers('final-alpha', flags.finalAlpha) ? { finalAlpha: numbers('final-alpha', flags.finalAlpha) } : {}),
        ...(numbers('temperature', flags.temperature) ? { temperature: numbers('temperature', flags.temperature) } : {}),
        ...(numbers('seed', flags.seed) ? { seed: numbers('seed', flags.seed) } : {}),
        ...weightDecays(flags.weightDecay),
        ...patiences(flags.patience),
      };
      if (grid.patience && config.dataset.splits.validation <= 0) throw new BadInputError(`--patience ${flags.patience ?? ''}`, 'early stopping watches the validation split, and the config has none: set dataset.splits.validation (e.g. 0.05)');
      if (Object.keys(grid).length === 0) throw new BadInputError('w2s sweep', 'give at least one of --method, --theta, --final-alpha, --temperature, --seed, --weight-decay, --patience');
      const sweep = async (client: Client, wait: boolean): Promise<void> => {
        // Each point's run sets w2s's search attributes; a namespace without them would leave every point stuck.
        await checkSearchAttributes(client);
        const handle = await client.workflow.start(sweepWorkflow, {
          taskQueue: CPU_QUEUE,
          workflowId: sweepId,
          args: [{ config: submittedConfig(config), grid, parallelism: Number(flags.parallelism) }],
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
        });
        if (!wait) {
          console.log(flags.json ? JSON.stringify({ sweepId }) : `started sweep ${sweepId}`);
          return;
        }
        const rows = await waitForResult<SweepRow[]>(handle, { onOutage: () => console.error(`[${sweepId}] the Temporal server is unreachable; waiting for it (the sweep goes on)`) });
        if (flags.json) console.log(JSON.stringify(rows, null, 2));
        else console.log(formatSweep(rows));
      };
      if (flags.local) {
        // Loaded only here: the embedded workers pull in TensorFlow.js and the worker SDK.
        const { withEmbeddedTemporal } = await import('../embedded.js');
        await withEmbeddedTemporal(({ client }) => sweep(client, true));
      } else {
        await withClient(flags, (client) => sweep(client, Boolean(flags.wait)));
      }
    });
}

/** The sweep's table; with a validation split, its accuracy there and which point was chosen on it. */
export function formatSweep(rows: readonly SweepRow[]): string {
  const validated = rows.some((r) => r.validationAccuracy !== undefined);
  const header = ['point', ...RESULT_HEADER, ...(validated ? ['validation', 'teacher agreement (validation)', 'selected'] : [])];
  const table = formatTable(
    header,
    rows.map((r) => [
      JSON.stringify(r.point),
      ...resultColumns(r),
      ...(validated ? [percent(r.validationAccuracy), percent(r.validationAgreement), r.selected ? 'yes' : ''] : []),
    ]),
  );
  const note = validated
    ? 'selected: the point with the best validation accuracy for each seed and student (the test split is never used to choose); `w2s results` also shows the choice by agreement with the teacher there.'
    : 'no validation split (dataset.splits.validation is 0): no point is selected, since the test split must not be used to choose one.';
  return `${table}\n\nnote: ${note}`;
}
