/**
 * The scenario presets shipped in the top-level `presets/` folder: run
 * configs for the paper's scenarios, runnable with `--config presets/<file>`
 * or by name (`--preset <name>`), and the built-in `quick` (cli/presets.ts).
 * Every command that takes `--preset` takes the same names.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BadInputError } from '../core/errors.js';
import type { RunConfig } from '../schemas/pipeline.js';
import { storageRoot } from '../storage/layout.js';
import { parseRunConfig, readConfigValue } from './config-file.js';
import { FASHION_MNIST, type PresetChoice, PRESETS, withPresetChoice } from './presets.js';

/** `presets/` at the package root (this module is dist/cli/preset-files.js once built). */
export const PRESETS_DIR = fileURLToPath(new URL('../../presets/', import.meta.url));

/** `examples/` at the package root: run configs of the same form, read by path (`--config examples/<file>`). */
export const EXAMPLES_DIR = fileURLToPath(new URL('../../examples/', import.meta.url));

const EXTENSIONS = ['.yaml', '.yml', '.json'];

/** The preset names: file names in `presets/` without their extension. */
export function presetNames(dir = PRESETS_DIR): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((file) => EXTENSIONS.some((ext) => file.endsWith(ext)))
    .map((file) => file.replace(/\.(ya?ml|json)$/, ''))
    .sort();
}

/** The file of a named preset, or an error listing the names there are. */
export function presetFile(name: string, dir = PRESETS_DIR): string {
  for (const ext of EXTENSIONS) {
    const path = join(dir, `${name}${ext}`);
    if (existsSync(path)) return path;
  }
  throw new BadInputError(`--preset ${name}`, `no such preset in ${dir} (known: ${presetNames(dir).join(', ') || 'none'})`);
}

/** Every name `--preset` takes: the built-in ones, then the files in `presets/`. */
export function allPresetNames(dir = PRESETS_DIR): string[] {
  return [...Object.keys(PRESETS), ...presetNames(dir).filter((name) => !(name in PRESETS))];
}

export type { PresetChoice };

/**
 * A preset by name as a run config: a built-in one made with the given data,
 * storage and seed (defaults: Debian's Fashion-MNIST, the default root, seed
 * 0); a file keeps its own unless they are given. (The built-in data default
 * is Fashion-MNIST's folder; a file preset keeps its own source unless given.)
 */
export function presetConfig(name: string, choice: PresetChoice = {}, dir = PRESETS_DIR): RunConfig {
  const { where, value } = presetSource(name, choice, dir);
  return parseRunConfig(where, value);
}

/** A preset's config as written, not yet parsed (`presetConfig` parses it; a run plans it), and where it came from for errors. */
export function presetSource(name: string, choice: PresetChoice = {}, dir = PRESETS_DIR): { readonly where: string; readonly value: unknown } {
  const builtIn = PRESETS[name];
  if (builtIn) return { where: `preset ${name}`, value: builtIn({ data: choice.data ?? FASHION_MNIST, storage: storageRoot(choice.storage), seed: choice.seed ?? 0 }) };
  if (!presetNames(dir).includes(name)) throw new BadInputError(`--preset ${name}`, `no such preset (known: ${allPresetNames(dir).join(', ')})`);
  const where = presetFile(name, dir);
  return { where, value: withPresetChoice(readConfigValue(where), choice) };
}
