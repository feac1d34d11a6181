import { fileURLToPath } from 'node:url';
import { type Command, Option } from 'commander';
import { checkRunConfig } from '../../stages/validate.js';
import { formatResults } from '../../report/table.js';
import { STORAGE_HELP, storageRoot } from '../../storage/layout.js';
import { parseRunConfig } from '../config-file.js';
import { runEmbedded } from '../embedded.js';
import { FASHION_MNIST, PRESETS } from '../presets.js';

interface QuickstartFlags {
  readonly data: string;
  readonly storage?: string;
  readonly preset: string;
  readonly seed: string;
  readonly json?: boolean;
}

export function registerQuickstart(program: Command): void {
  program
    .command('quickstart')
    .description('run the whole pipeline on this machine: local Temporal dev server (or TEMPORAL_ADDRESS), in-process workers, a local folder, real Fashion-MNIST')
    .option('--data <folder>', 'Fashion-MNIST IDX files', FASHION_MNIST)
    .option('--storage <uri>', STORAGE_HELP)
    .addOption(new Option('--preset <name>', 'run preset').choices(Object.keys(PRESETS)).default('quick'))
    .option('--seed <n>', 'run seed', '0')
    .option('--json', 'print the result as JSON')
    .action(async (flags: QuickstartFlags) => {
      const preset = PRESETS[flags.preset];
      if (!preset) throw new Error(`unknown preset ${flags.preset}`);
      const config = parseRunConfig(`preset ${flags.preset}`, preset({ data: flags.data, storage: storageRoot(flags.storage), seed: Number(flags.seed) }));
      await checkRunConfig(config);
      const started = Date.now();
      const result = await runEmbedded(config, { bars: !flags.json && Boolean(process.stderr.isTTY) });
      if (flags.json) {
        console.log(JSON.stringify(result, null, 2));
        return;
      }
      const report = result.report.html.uri.startsWith('file:') ? fileURLToPath(result.report.html.uri) : result.report.html.uri;
      console.log(`${formatResults(result.rows)}\n\nrun ${result.runId} finished in ${((Date.now() - started) / 1000).toFixed(0)} s\nreport: ${report}`);
    });
}
