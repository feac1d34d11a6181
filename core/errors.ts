/**
 * Errors that are the user's to fix: a bad file, a bad config field, a
 * mismatch between a shard and its manifest. Retrying cannot help, so the
 * pipeline turns these into non-retryable failures; everything else
 * (network, a lost worker) is treated as transient and retried.
 *
 * The message says what is wrong and where, e.g.
 * `IDX file train-images-idx3-ubyte.gz: expected 47040016 bytes, found 3000016 (truncated?)`.
 */
export class BadInputError extends Error {
  override readonly name = 'BadInputError';
  /** The file, URI or config path the problem is in. */
  readonly where: string;

  constructor(where: string, problem: string, options?: { cause?: unknown }) {
    super(`${where}: ${problem}`, options);
    this.where = where;
  }
}

export function isBadInputError(error: unknown): error is BadInputError {
  return error instanceof Error && error.name === 'BadInputError' && 'where' in error;
}
