/**
 * Reads a run config (YAML or JSON) and validates it, reporting every bad
 * field at once with its path, so a user fixes the file in one pass.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { BadInputError } from '../core/errors.js';
import { formatZodIssues } from '../schemas/issues.js';
import { deprecatedLossFields } from '../schemas/losses.js';
import { type RunConfig, RunConfigSchema } from '../schemas/pipeline.js';

/**
 * The one parse of a config given to the CLI: everything after it receives
 * the typed config. Deprecated loss field names are read, with a warning.
 */
export function parseRunConfig(where: string, value: unknown, warn: (line: string) => void = (line) => process.stderr.write(`warning: ${line}\n`)): RunConfig {
  const students = (value as { students?: unknown } | null)?.students;
  if (Array.isArray(students)) students.forEach((student, i) => deprecatedLossFields(student).forEach((line) => warn(`${where}: students.${i}: ${line}`)));
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
