/**
 * What the format readers of an embeddings file (Arrow, Parquet) hand on:
 * the three columns with their types checked, and the messages they share,
 * so a file says the same whatever its format.
 */
export interface EmbeddingColumns {
  readonly index: readonly number[];
  readonly labels: readonly number[];
  /** Each row's vector (views into the file's values where the format allows). */
  readonly vectors: ReadonlyArray<ArrayLike<number>>;
  readonly sourceDtype: 'float32' | 'float64';
}

/** What an embeddings file is recognised by in its folder (here, so that a config check need not load the readers). */
export const EMBEDDING_FILE_PATTERN = /\.(arrow|feather|ipc|parquet)$/i;

export const EMBEDDING_COLUMN_NAMES = ['index', 'label', 'embedding'] as const;
export const VECTOR_TYPES = 'a fixed_size_list or list of float32 or float64';

export function missingColumn(name: string, columns: readonly string[]): string {
  return `missing column "${name}" (columns: ${columns.join(', ')}); an embeddings file has index, label and embedding`;
}

export function notInteger(name: string, type: string): string {
  return `column "${name}" has type ${type}, expected an integer type`;
}

/** A null where the column needs a value: a row with no index, label or vector cannot be placed in the task. */
export function nullAt(name: string, row: number): string {
  const what = name === 'label' ? 'unlabelled examples are not supported: every split needs its ground truth (accuracy, the ceiling)' : name === 'index' ? 'every example needs an index' : 'every example needs a vector';
  return `column "${name}" is null at row ${row}; ${what}`;
}
