/**
 * The run config against the world, before any work starts: data that is
 * there, models to import that exist, a storage root w2s may write to. The
 * rules that need no I/O are the run plan's (schemas/plan.ts). Used by the
 * CLI before submitting (what the user's machine sees) and by the validate
 * stage (what the workers see), so a bad config fails in seconds with every
 * problem listed.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { RunConfig } from '../schemas/pipeline.js';
import { BadInputError } from '../core/errors.js';
import { problemsRefusal } from '../schemas/plan.js';
// Module imports, not the storage barrel: `w2s run` checks configs through this file and must not load TensorFlow.js.
import { isStoreSource } from './readers/source-tree.js';
import { storageRootProblem } from './root.js';
import { absoluteStorageUri, parseStorageUri } from './uri.js';

/** Every problem of the config's local data and imported models (empty when there is none). */
export function runWorldProblems(config: RunConfig): string[] {
  return [...dataProblems(config), ...importedModelProblems(config)];
}

/**
 * A local source is checked here; a storage URI (`gs://…`) only for its
 * form, because the submitting machine need not reach the bucket: the
 * workers look inside it (`storeSourceProblems`) before any work.
 */
function dataProblems(config: RunConfig): string[] {
  const { source, format } = config.dataset;
  if (isStoreSource(source)) {
    try {
      parseStorageUri(source);
      return [];
    } catch (error) {
      return [`dataset.source: ${(error as Error).message}`];
    }
  }
  const dir = source.startsWith('file://') ? new URL(source).pathname : source;
  if (!existsSync(dir)) return [`dataset.source: ${dir} does not exist`];
  if (!statSync(dir).isDirectory()) return [`dataset.source: ${dir} is not a folder`];
  const files = readdirSync(dir);
  if (format === 'idx' && !files.some((f) => /images-idx3-ubyte/.test(f))) {
    return [`dataset.source: ${dir} holds no IDX image file (*-images-idx3-ubyte[.gz])`];
  }
  if (format === 'cifar' && !files.some((f) => /data_batch|train\.bin|test_batch/.test(f)) && !files.some((f) => existsSync(join(dir, f, 'data_batch_1.bin')))) {
    return [`dataset.source: ${dir} holds no CIFAR binary batches (data_batch_*.bin / train.bin)`];
  }
  return [];
}

/**
 * Each imported model (`init.imported.uri`): a storage URI of the right
 * form, and, where it is a local path, a file that exists (an ONNX file or a
 * model.json) or a folder with a model.json. What is inside is checked by
 * the `import-layers` stage, where the workers are.
 */
function importedModelProblems(config: RunConfig): string[] {
  const entries = [
    ...(config.strong.init?.imported ? [{ field: 'strong.init.imported.uri', uri: config.strong.init.imported.uri }] : []),
    ...config.students.flatMap((s, i) => (s.init?.imported ? [{ field: `students.${i}.init.imported.uri`, uri: s.init.imported.uri }] : [])),
  ];
  return entries.flatMap(({ field, uri }) => {
    let location: ReturnType<typeof parseStorageUri>;
    try {
      location = parseStorageUri(uri);
    } catch (error) {
      return [`${field}: ${(error as Error).message}`];
    }
    if (location.kind !== 'local') return [];
    const file = existsSync(location.root) && statSync(location.root).isDirectory() ? join(location.root, 'model.json') : location.root;
    return existsSync(file) ? [] : [`${field}: ${file} does not exist (a model is an ONNX file, or a TensorFlow.js model.json with its weight shards)`];
  });
}

/**
 * Throws one BadInputError listing every problem: `known` ones (the run
 * plan's rules) with the world's. A local storage root is checked here too
 * (a system location, a folder w2s did not make); a bucket where the
 * workers are, by the validate stage.
 */
export async function checkRunWorld(config: RunConfig, known: readonly string[] = []): Promise<void> {
  const storage = absoluteStorageUri(config.storage);
  const root = storage.startsWith('gs://') ? undefined : await storageRootProblem(storage);
  refuseProblems(config, [...(root ? [root] : []), ...known, ...runWorldProblems(config)]);
}

/** Throws one BadInputError listing every problem of the run config, if there is any. */
export function refuseProblems(config: Pick<RunConfig, 'name'>, problems: readonly string[]): void {
  const refusal = problemsRefusal(config, problems);
  if (refusal) throw new BadInputError(refusal.where, refusal.problem);
}
