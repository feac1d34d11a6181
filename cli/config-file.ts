/**
 * Reads a run config (YAML or JSON) and validates it, reporting every bad
 * field at once with its path, so a user fixes the file in one pass.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { BadInputError } from '../core/errors.js';
import { formatZodIssues } from '../schemas/issues.js';
import { type RunConfig, RunConfigSchema } from '../schemas/pipeline.js';

export function parseRunConfig(where: string, value: unknown): RunConfig {
  const result = RunConfigSchema.safeParse(value);
  if (!result.success) throw new BadInputError(where, formatZodIssues('config', result.error).replace(/^config: /, ''));
  return result.data;
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
