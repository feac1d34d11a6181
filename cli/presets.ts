/**
 * Ready-made run configs. `quick` is the embedded default's job, sized to
 * finish in minutes on two cores and to show the effect the project is about,
 * a strong student going well beyond its weak teacher, for the reason it
 * happens: the student's representation already holds the task's concepts.
 * On real Fashion-MNIST a `linear` teacher learns from 3,000 labelled images
 * (W) and labels 18,000 more (S); the strong students are linear probes on a
 * `cnn` backbone pretrained with labels on a pool of 24,000 other training
 * images that teacher and students never see (a stand-in for a foundation
 * model, pretrained elsewhere). The pool is the same for every seed, so the
 * pretraining is cached after the first run. README.md and RESULTS.md give
 * the results per seed, and what happens to students without such a backbone.
 *
 * Its one copy is examples/quickstart.yaml, the file users edit and
 * RESULTS.md's variants start from; the preset is that file with the data,
 * storage root and seed the command gives.
 */
import { fileURLToPath } from 'node:url';
import { readConfigValue } from './config-file.js';

export const FASHION_MNIST = '/usr/share/datasets/fashion-mnist';

/** The quickstart's job (examples/ at the package root; this module is dist/cli/presets.js once built). */
export const QUICKSTART_FILE = fileURLToPath(new URL('../../examples/quickstart.yaml', import.meta.url));

export interface PresetOptions {
  readonly data: string;
  readonly storage: string;
  readonly seed: number;
}

/** What a command may set in a preset: the data's source, the storage root, the seed; each only where given. */
export type PresetChoice = Partial<PresetOptions>;

/** Each built-in preset's config as written (not parsed: whoever runs it parses it once). */
export const PRESETS: Readonly<Record<string, (options: PresetOptions) => unknown>> = {
  quick: (options) => withPresetChoice(readConfigValue(QUICKSTART_FILE), options),
};

/** A config as written with the command's choices in place of its own (a value that is no mapping is left for the parse to refuse). */
export function withPresetChoice(value: unknown, choice: PresetChoice): unknown {
  if (!isObject(value)) return value;
  return {
    ...value,
    ...(choice.seed !== undefined ? { seed: choice.seed } : {}),
    ...(choice.storage !== undefined ? { storage: choice.storage } : {}),
    ...(choice.data !== undefined ? { dataset: { ...(isObject(value['dataset']) ? value['dataset'] : {}), source: choice.data } } : {}),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
