import { fileURLToPath } from 'node:url';
import { type Command, Option } from 'commander';
import { checkRunConfig } from '../../stages/validate.js';
import { formatResults } from '../../report/table.js';
import type { RunConfig } from '../../schemas/pipeline.js';
import { STORAGE_HELP, storageRoot } from '../../storage/layout.js';
import { absoluteStorageUri, objectUri } from '../../storage/uri.js';
import { parseRunConfig, readRunConfig } from '../config-file.js';
import { runEmbedded } from '../embedded.js';
import { FASHION_MNIST, PRESETS } from '../presets.js';
import { studentMargins } from '../margins.js';

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
    if (!preset) throw new Error(`unknown preset ${flags.preset}`);
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
    .option('--seed <n>', 'run seed', '0')
    .option('--json', 'print the result as JSON')
    .action(async (flags: QuickstartFlags, command: Command) => {
      const config = quickstartConfig(flags, (option) => command.getOptionValueSource(option) === 'cli');
      await checkRunConfig(config);
      const started = Date.now();
      const result = await runEmbedded(config, { bars: !flags.json && Boolean(process.stderr.isTTY) });
      if (flags.json) {
        console.log(JSON.stringify(result, null, 2));
        return;
      }
      const html = objectUri(absoluteStorageUri(config.storage), result.report.html.key);
      const report = html.startsWith('file:') ? fileURLToPath(html) : html;
      const margins = studentMargins(result.rows);
      console.log(
        [formatResults(result.rows), ...(margins.length ? ['', ...margins] : []), '', `run ${result.runId} finished in ${((Date.now() - started) / 1000).toFixed(0)} s`, `report: ${report}`].join('\n'),
      );
    });
}
