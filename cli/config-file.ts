/**
 * Reads a run config (YAML or JSON) and validates it, reporting every bad
 * field at once with its path, so a user fixes the file in one pass.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { BadInputError } from '../core/errors.js';
import { formatBytes, MAX_CONFIG_BYTES, MAX_CONFIG_DEPTH, nestingDepth } from '../schemas/limits.js';
import type { RunConfig } from '../schemas/pipeline.js';
import { type DraftPlan, draftPlan, parseRunConfig as parseConfig, type IdOptions, type PlanOptions, type PlannedRun, planRun, type RunPlan } from '../schemas/plan.js';
import { checkRunWorld } from '../storage/run-checks.js';

/** The CLI's parse (`parseRunConfig` of the schemas): a `BadInputError` on `where`, deprecation warnings on stderr. */
export function parseRunConfig(where: string, value: unknown, warn: (line: string) => void = (line) => process.stderr.write(`warning: ${line}\n`)): RunConfig {
  const parsed = parseConfig(value, (line) => warn(`${where}: ${line}`));
  if (!parsed.ok) throw new BadInputError(where, parsed.problems);
  return parsed.config;
}

export function readRunConfig(path: string): RunConfig {
  return parseRunConfig(path, readConfigValue(path));
}

/** The stderr line of a deprecation warning. */
const warnOnStderr = (line: string) => process.stderr.write(`warning: ${line}\n`);

/**
 * The plan of a config file (schemas/plan.ts), with the seed and storage
 * root the command line gives, checked against this machine's world
 * (`checkedPlan`): the file is read and parsed once, and the run id
 * (`options.runId`, else `<name>-<options.randomSuffix>`) chosen once.
 */
export function readRunPlan(path: string, flags: RunFlagValues, options: IdOptions): Promise<PlannedRun>;
export function readRunPlan(path: string, flags: RunFlagValues): Promise<RunPlan>;
export async function readRunPlan(path: string, flags: RunFlagValues, options?: IdOptions): Promise<RunPlan> {
  return checkedPlan(planConfig(path, withRunFlags(readConfigValue(path), flags), options));
}

/** The CLI's plan of a config value from `where` (a file, a preset): a `BadInputError` on `where`, deprecation warnings on stderr. */
export function planConfig(where: string, value: unknown, options: IdOptions): DraftPlan<PlannedRun>;
export function planConfig(where: string, value: unknown, options?: IdOptions): DraftPlan;
export function planConfig(where: string, value: unknown, options?: IdOptions): DraftPlan {
  const draft = draftPlan(value, { ...options, where, warn: (line) => warnOnStderr(`${where}: ${line}`) });
  if (!draft.ok) throw new BadInputError(draft.refusal.where, draft.refusal.problem);
  return draft;
}

/** `planRun` (schemas/plan.ts) for a caller that holds a config value: the plan, or a BadInputError listing every problem. */
export function planRunConfig(value: unknown, options: PlanOptions & IdOptions): PlannedRun;
export function planRunConfig(value: unknown, options?: PlanOptions): RunPlan;
export function planRunConfig(value: unknown, options: PlanOptions = {}): RunPlan {
  const planned = planRun(value, options);
  if (!planned.ok) throw new BadInputError(planned.refusal.where, planned.refusal.problem);
  return planned.plan;
}

/** The plan, once one error has listed every problem of its rules and of the world this machine sees (storage root, data, models to import). */
export async function checkedPlan<P extends RunPlan>(draft: DraftPlan<P>): Promise<P> {
  await checkRunWorld(draft.plan.config, draft.problems);
  return draft.plan;
}

/** The command-line flags that override a config's own values. */
export interface RunFlagValues {
  readonly seed?: string;
  readonly storage?: string;
}

/** A config file's value, read and checked for size and depth, not yet parsed. */
export function readConfigValue(path: string): unknown {
  const text = readConfigText(path);
  let value: unknown;
  try {
    value = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    // The YAML parser recurses: a file nested deeper than the stack allows overflows it (the parser reports the RangeError as its own error).
    if (error instanceof RangeError || /Maximum call stack size exceeded/.test((error as Error).message)) throw new BadInputError(path, `is nested too deeply to parse; a run config is at most ${MAX_CONFIG_DEPTH} levels deep`);
    throw new BadInputError(path, `not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(error as Error).message}`);
  }
  const depth = nestingDepth(value, MAX_CONFIG_DEPTH);
  if (depth > MAX_CONFIG_DEPTH) throw new BadInputError(path, `is nested more than ${MAX_CONFIG_DEPTH} levels deep, the limit for a run config`);
  return value;
}

/**
 * The file's text, read only if it is a regular file of at most
 * MAX_CONFIG_BYTES: a device (`/dev/zero`), a pipe or a huge file is
 * refused before it is held in memory. Reading stops one byte past the
 * limit, so a file whose size its folder misreports is caught too.
 */
function readConfigText(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new BadInputError(path, `cannot read config file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw new BadInputError(path, 'is not a regular file; a run config is a YAML or JSON file');
    const tooBig = () => new BadInputError(path, `is larger than ${formatBytes(MAX_CONFIG_BYTES)}, the limit for a run config`);
    if (info.size > MAX_CONFIG_BYTES) throw tooBig();
    const buffer = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let length = 0;
    while (length < buffer.length) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
    if (length > MAX_CONFIG_BYTES) throw tooBig();
    return buffer.subarray(0, length).toString('utf8');
  } catch (error) {
    if (error instanceof BadInputError) throw error;
    throw new BadInputError(path, `cannot read config file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  } finally {
    closeSync(fd);
  }
}

/** A `--seed` flag's value: a whole number from 0, or an error naming the flag. */
export function seedFlag(value: string): number {
  const seed = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(seed) || seed < 0) throw new BadInputError(`--seed ${value}`, 'expected a whole number from 0');
  return seed;
}

/** A config (parsed or not) with the seed and storage root the command line gives, each only where given; the file's own otherwise. */
export function withRunFlags<T>(config: T, flags: RunFlagValues): T {
  if (flags.seed === undefined && flags.storage === undefined) return config;
  // A config that is no object is left for the parse to refuse, naming it.
  if (typeof config !== 'object' || config === null || Array.isArray(config)) return config;
  return { ...config, ...(flags.seed !== undefined ? { seed: seedFlag(flags.seed) } : {}), ...(flags.storage !== undefined ? { storage: flags.storage } : {}) };
}
