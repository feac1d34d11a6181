import { type Command, Option } from 'commander';
import { randomUUID } from 'node:crypto';
import type { PlannedRun } from '../../schemas/plan.js';
import { STORAGE_HELP, storageRoot } from '../../storage/layout.js';
import { checkedPlan, planConfig, readConfigValue, seedFlag, withRunFlags } from '../config-file.js';
import { runLocally } from '../local-run.js';
import { allPresetNames, presetSource } from '../preset-files.js';
import { FASHION_MNIST } from '../presets.js';

interface QuickstartFlags {
  readonly data: string;
  readonly storage?: string;
  readonly preset: string;
  readonly config?: string;
  readonly seed: string;
  readonly json?: boolean;
}

/** The run quickstart makes: the config read and planned once, its run id drawn. */
function quickstartPlan(flags: QuickstartFlags, given: (option: string) => boolean): Promise<PlannedRun> {
  const id = { randomSuffix: randomUUID().slice(0, 8) };
  if (flags.config === undefined) {
    // The built-in preset takes every flag (its defaults included); a file preset keeps what it says unless a flag is given.
    const builtIn = flags.preset === 'quick';
    const { where, value } = presetSource(flags.preset, {
      ...(builtIn || given('data') ? { data: flags.data } : {}),
      ...(builtIn || given('storage') ? { storage: storageRoot(flags.storage) } : {}),
      ...(builtIn || given('seed') ? { seed: seedFlag(flags.seed) } : {}),
    });
    return checkedPlan(planConfig(where, value, id));
  }
  // A config file keeps its own seed and storage unless --seed or --storage is given.
  const value = withRunFlags(readConfigValue(flags.config), { ...(given('seed') ? { seed: flags.seed } : {}), ...(given('storage') ? { storage: storageRoot(flags.storage) } : {}) });
  return checkedPlan(planConfig(flags.config, value, id));
}

export function registerQuickstart(program: Command): void {
  program
    .command('quickstart')
    .description('run the whole pipeline on this machine: local Temporal dev server (or TEMPORAL_ADDRESS), in-process workers, a local folder, real Fashion-MNIST')
    .option('--data <folder>', 'Fashion-MNIST IDX files', FASHION_MNIST)
    .option('--storage <uri>', STORAGE_HELP)
    .addOption(new Option('--preset <name>', 'run preset: quick, or a scenario in presets/ (the names `sweep --preset` takes)').choices(allPresetNames()).default('quick'))
    .addOption(new Option('--config <file>', 'run this config file (YAML or JSON, e.g. presets/pure-scratch.yaml) instead of a preset').conflicts('preset'))
    .option('--seed <n>', 'run seed (a preset\'s; a config file keeps its own unless given)', '0')
    .option('--json', 'print the result as JSON instead of the table')
    .action(async (flags: QuickstartFlags, command: Command) => {
      // The same as `w2s run --local` on the chosen preset.
      await runLocally(await quickstartPlan(flags, (option) => command.getOptionValueSource(option) === 'cli'), { json: Boolean(flags.json) });
    });
}
