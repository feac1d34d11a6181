/**
 * Reads a run config (YAML or JSON) and validates it, reporting every bad
 * field at once with its path, so a user fixes the file in one pass.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { BadInputError } from '../core/errors.js';
import { parseRunConfig as parseConfig, type RunConfig } from '../schemas/pipeline.js';

/** The CLI's parse (`parseRunConfig` of the schemas): a `BadInputError` on `where`, deprecation warnings on stderr. */
export function parseRunConfig(where: string, value: unknown, warn: (line: string) => void = (line) => process.stderr.write(`warning: ${line}\n`)): RunConfig {
  const parsed = parseConfig(value, (line) => warn(`${where}: ${line}`));
  if (!parsed.ok) throw new BadInputError(where, parsed.problems);
  return parsed.config;
}

export function readRunConfig(path: string): RunConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new BadInputError(path, `cannot read config file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  let value: unknown;
  try {
    value = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new BadInputError(path, `not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(error as Error).message}`);
  }
  return parseRunConfig(path, value);
}

/** A `--seed` flag's value: a whole number from 0, or an error naming the flag. */
export function seedFlag(value: string): number {
  const seed = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(seed) || seed < 0) throw new BadInputError(`--seed ${value}`, 'expected a whole number from 0');
  return seed;
}

/** A config with the seed and storage root the command line gives, each only where given; the file's own otherwise. */
export function withRunFlags(config: RunConfig, flags: { readonly seed?: string; readonly storage?: string }): RunConfig {
  return { ...config, ...(flags.seed !== undefined ? { seed: seedFlag(flags.seed) } : {}), ...(flags.storage !== undefined ? { storage: flags.storage } : {}) };
}
