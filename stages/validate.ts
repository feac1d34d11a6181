/**
 * Checks a run config against the world before any work starts: models that
 * exist, data that is there, names that fit together. Used by the CLI before
 * submitting and by the workflow's first stage (for configs submitted by
 * other clients), so a bad config fails in seconds with every problem listed.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BadInputError } from '../core/errors.js';
import { isModelName, MODEL_NAMES } from '../schemas/models.js';
import { type RunConfig, studentName } from '../schemas/pipeline.js';
import { vectorDatasetProblems } from '../schemas/vector-dataset.js';
// Direct module imports, not the storage barrel: `w2s run` checks configs through this file and must not load TensorFlow.js.
import type { ObjectStore } from '../storage/object-store.js';
import { sourceProblems } from '../storage/readers/source-check.js';
import { isStoreSource, openSourceTree } from '../storage/readers/source-tree.js';
import { storageRootProblem } from '../storage/root.js';
import { absoluteStorageUri, parseStorageUri } from '../storage/uri.js';

export function runConfigProblems(config: RunConfig): string[] {
  const problems: string[] = [];
  const checkModel = (path: string, name: string) => {
    if (!isModelName(name)) problems.push(`${path}: unknown model "${name}" (known: ${MODEL_NAMES.join(', ')})`);
  };
  if (!config.teacher.checkpoint) checkModel('teacher.model', config.teacher.model);
  checkModel('strong.model', config.strong.model);
  config.students.forEach((s, i) => {
    if (s.model) checkModel(`students.${i}.model`, s.model);
  });
  problems.push(...dataProblems(config));
  problems.push(...vectorDatasetProblems(config));
  problems.push(...importedModelProblems(config));
  if (config.promotion && !config.students.some((s) => studentName(s) === config.promotion?.student)) {
    problems.push(`promotion.student: "${config.promotion.student}" is not one of the students (${config.students.map(studentName).join(', ')})`);
  }
  if (config.promotion?.split === 'validation' && config.dataset.splits.validation <= 0) {
    problems.push('promotion.split: "validation" needs dataset.splits.validation > 0');
  }
  return problems;
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

/** Where the workers are: a storage-URI source exists and holds files of its format (empty for local sources). */
export async function storeSourceProblems(config: RunConfig, open: (uri: string) => ObjectStore): Promise<string[]> {
  const { source, format } = config.dataset;
  if (!isStoreSource(source)) return [];
  return sourceProblems(await openSourceTree(source, { label: 'source', open }), format);
}

/**
 * Throws one BadInputError listing every problem. A local storage root is
 * checked here too (a system location, a folder w2s did not make); a bucket
 * where the workers are, by the validate stage.
 */
export async function checkRunConfig(config: RunConfig): Promise<void> {
  const storage = absoluteStorageUri(config.storage);
  const root = storage.startsWith('gs://') ? undefined : await storageRootProblem(storage);
  const problems = [...(root ? [root] : []), ...runConfigProblems(config)];
  if (problems.length) throw new BadInputError(`run config ${config.name}`, `\n  ${problems.join('\n  ')}`);
}
