/**
 * A quick look at a dataset source before any work: it exists and holds
 * files of its format. One listing, no downloads; the readers check the
 * contents themselves when ingest streams them.
 */
import { isBadInputError } from '../../core/errors.js';
import type { DATA_FORMATS } from '../../schemas/manifest.js';
import { EMBEDDING_FILE_PATTERN } from './embedding-columns.js';
import type { SourceTree } from './source-tree.js';

type DataFormat = (typeof DATA_FORMATS)[number];

const EXPECTED: Record<DataFormat, { readonly test: (names: readonly string[], folders: readonly string[]) => boolean; readonly what: string }> = {
  idx: { test: (names) => names.some((n) => /images-idx3-ubyte/.test(n)), what: 'no IDX image file (*-images-idx3-ubyte[.gz])' },
  cifar: { test: (names) => names.some((n) => /^(data_batch_\d+|test_batch|train|test)\.bin$/.test(n)), what: 'no CIFAR binary batches (data_batch_*.bin / train.bin)' },
  folder: { test: (_, folders) => folders.some((n) => !n.startsWith('.')), what: 'no class sub-folders' },
  embeddings: { test: (names) => names.some((n) => EMBEDDING_FILE_PATTERN.test(n)), what: 'no embeddings file (*.arrow or *.parquet)' },
};

/** Problems with `tree` as a source of `format`, as `dataset.source: …` lines (empty when it looks right). */
export async function sourceProblems(tree: SourceTree, format: DataFormat): Promise<string[]> {
  let entries;
  try {
    entries = await tree.list('');
  } catch (error) {
    if (isBadInputError(error)) return [`dataset.source: ${error.message}`];
    throw error;
  }
  const names = entries.filter((e) => e.kind === 'file').map((e) => e.name);
  const folders = entries.filter((e) => e.kind === 'folder').map((e) => e.name);
  const expected = EXPECTED[format];
  return expected.test(names, folders) ? [] : [`dataset.source: ${tree.root} holds ${expected.what}`];
}
