/**
 * The command that reproduces a scenario's runs: the quickstart's own preset,
 * or a file in `presets/` or `examples/` whose config equals the runs' (seed
 * and storage aside); runs whose thresholds were chosen on validation are a
 * sweep's, so the command is that sweep. A config that matches none is named
 * by where it is recorded.
 */
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_STORAGE_ROOT, type RunConfig } from '../../schemas/pipeline.js';
import { parseRunConfig, readRunConfig } from '../config-file.js';
import { EXAMPLES_DIR, presetFile, presetNames, PRESETS_DIR } from '../preset-files.js';
import { FASHION_MNIST, PRESETS } from '../presets.js';
import { scenarioKey } from './summarize.js';
import { AXIS_FLAGS, type SweptAxis } from '../../workflows/sweep-axes.js';

export function reproduceCommand(config: RunConfig, seeds: readonly number[], axes: Readonly<Record<string, readonly number[]>> = {}, presetsDir = PRESETS_DIR, examplesDir = EXAMPLES_DIR): string | undefined {
  const storage = storageOption(config.storage);
  const swept = Object.keys(axes).length > 0;
  const axisFlags = Object.entries(axes).map(([parameter, values]) => ` ${AXIS_FLAGS[parameter as SweptAxis] ?? `--${parameter}`} ${values.join(',')}`).join('');
  const seedLoop = (command: string) => (seeds.length === 1 ? `${command} --seed ${seeds[0]}` : `for seed in ${seeds.join(' ')}; do ${command} --seed $seed; done`);
  const sweepLine = (source: string) => `w2s sweep --local ${source} --seed ${seeds.join(',')}${axisFlags}   # or on a cluster: --wait instead of --local`;
  // The built-in presets are quickstart jobs, run one seed at a time; a sweep's runs come from a file.
  for (const [name, preset] of swept ? [] : Object.entries(PRESETS)) {
    const built = parseRunConfig(`preset ${name}`, preset({ data: config.dataset.source, storage: config.storage, seed: config.seed }));
    if (scenarioKey(built) === scenarioKey(config)) {
      const data = config.dataset.source === FASHION_MNIST ? '' : ` --data ${config.dataset.source}`;
      return seedLoop(`w2s quickstart${name === 'quick' ? '' : ` --preset ${name}`}${data}${storage}`);
    }
  }
  // Files in presets/ are also named by `--preset`; files in examples/ only by path.
  const folders = [
    { dir: presetsDir, sweep: (name: string) => `--preset ${name}` },
    { dir: examplesDir, sweep: (_name: string, path: string) => `--config ${path}` },
  ];
  for (const { dir, sweep } of folders) {
    for (const name of presetNames(dir)) {
      const file = presetFile(name, dir);
      const read = { ...readRunConfig(file), storage: config.storage };
      // A `--patience` sweep turns early stopping on in a file that may not ask for it.
      const candidate = axes.patience?.length ? { ...read, strong: { ...read.strong, earlyStopping: { monitor: read.strong.earlyStopping?.monitor ?? 'teacher', patience: 1 } } } : read;
      if (scenarioKey(candidate) !== scenarioKey(config)) continue;
      const path = relative(`${dir}/..`, file);
      if (swept) return sweepLine(sweep(name, path));
      return `${seedLoop(`w2s quickstart --config ${path}${storage}`)}   # or on a cluster: w2s sweep ${sweep(name, path)} --seed ${seeds.join(',')} --wait`;
    }
  }
  return undefined;
}

/**
 * `--storage` as a user would type it: runs record their root as the absolute
 * URI it was resolved to at submission, so a local root is shown as its path,
 * and the default root of the folder `w2s results` runs in is left out.
 */
function storageOption(root: string): string {
  const shown = root.startsWith('file:') ? fileURLToPath(root) : root;
  return shown === DEFAULT_STORAGE_ROOT || shown === resolve(DEFAULT_STORAGE_ROOT) ? '' : ` --storage ${shown}`;
}
