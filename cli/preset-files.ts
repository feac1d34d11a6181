/**
 * The scenario presets shipped in the top-level `presets/` folder: run
 * configs for the paper's scenarios, runnable with `--config presets/<file>`
 * or by name (`--preset <name>`).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BadInputError } from '../core/errors.js';

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
