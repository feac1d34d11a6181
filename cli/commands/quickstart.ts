import { type Command, Option } from 'commander';
import { BadInputError } from '../../core/errors.js';
import type { RunConfig } from '../../schemas/pipeline.js';
import { STORAGE_HELP, storageRoot } from '../../storage/layout.js';
import { parseRunConfig, readRunConfig } from '../config-file.js';
import { runLocally } from '../local-run.js';
import { FASHION_MNIST, PRESETS } from '../presets.js';

interface QuickstartFlags {
  readonly data: string;
  readonly storage?: string;
  readonly preset: string;
  readonly config?: string;
  readonly seed: string;
  readonly json?: boolean;
}

function quickstartConfig(flags: QuickstartFlags, given: (option: string) => boolean): RunConfig {
  if (flags.config === undefined) {
    const preset = PRESETS[flags.preset];
    if (!preset) throw new BadInputError(`--preset ${flags.preset}`, 'unknown preset');
    return parseRunConfig(`preset ${flags.preset}`, preset({ data: flags.data, storage: storageRoot(flags.storage), seed: Number(flags.seed) }));
  }
  // A config file keeps its own seed and storage unless --seed or --storage is given.
  const config = readRunConfig(flags.config);
  return { ...config, ...(given('seed') ? { seed: Number(flags.seed) } : {}), ...(given('storage') ? { storage: storageRoot(flags.storage) } : {}) };
}

export function registerQuickstart(program: Command): void {
  program
    .command('quickstart')
    .description('run the whole pipeline on this machine: local Temporal dev server (or TEMPORAL_ADDRESS), in-process workers, a local folder, real Fashion-MNIST')
    .option('--data <folder>', 'Fashion-MNIST IDX files', FASHION_MNIST)
    .option('--storage <uri>', STORAGE_HELP)
    .addOption(new Option('--preset <name>', 'run preset').choices(Object.keys(PRESETS)).default('quick'))
    .addOption(new Option('--config <file>', 'run this config file (YAML or JSON, e.g. presets/pure-scratch.yaml) instead of a preset').conflicts('preset'))
    .option('--seed <n>', 'run seed (a preset\'s; a config file keeps its own unless given)', '0')
    .option('--json', 'print the result as JSON instead of the table')
    .action(async (flags: QuickstartFlags, command: Command) => {
      // The same as `w2s run --local` on the chosen preset.
      await runLocally(quickstartConfig(flags, (option) => command.getOptionValueSource(option) === 'cli'), { json: Boolean(flags.json) });
    });
}
