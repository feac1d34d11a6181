/**
 * Storage failures a caller may want to tell apart. Transient trouble
 * (network, 5xx) surfaces as the client's own errors and is retried; these
 * are answers, not accidents, so retrying the same call cannot change them.
 */

/** The object does not exist. */
export class ObjectNotFoundError extends Error {
  override readonly name = 'ObjectNotFoundError';
  constructor(readonly uri: string) {
    super(`${uri}: no such object`);
  }
}

/**
 * A write-once object already exists with different content: two runs
 * disagree about bytes that must be deterministic.
 */
export class ObjectConflictError extends Error {
  override readonly name = 'ObjectConflictError';
  constructor(
    readonly uri: string,
    readonly existingSha256: string,
    readonly attemptedSha256: string,
  ) {
    super(
      `${uri}: already exists with different content (sha256 ${existingSha256}, attempted ${attemptedSha256}); ` +
        'data objects are write-once, so the writer is not deterministic or the key is reused',
    );
  }
}

/** A pointer moved since it was read: another writer won the compare-and-swap. */
export class PreconditionFailedError extends Error {
  override readonly name = 'PreconditionFailedError';
  constructor(
    readonly uri: string,
    readonly expectedVersion: string | null,
    readonly actualVersion: string | null,
  ) {
    super(`${uri}: pointer changed concurrently (expected version ${expectedVersion ?? 'absent'}, found ${actualVersion ?? 'absent'}); read it again and retry`);
  }
}
