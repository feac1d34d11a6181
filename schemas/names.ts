/**
 * Names the workflows, the workers and the clients must agree on: task
 * queues, the progress query and the search attributes. Plain strings, so a
 * client can start a run without loading the worker stack.
 */

/** Runs the workflows and the short stages (ingest, label, evaluate, report). */
export const CPU_QUEUE = 'w2s-cpu';
/** Runs training, one activity at a time per process. */
export const GPU_QUEUE = 'w2s-gpu';
export const QUEUES = [CPU_QUEUE, GPU_QUEUE] as const;

/**
 * Error types a retry cannot fix (bad input or config, a missing input
 * object, conflicting write-once objects): the activities fail them at once
 * (activities/runtime.ts) and the workflows' retry policies never retry them
 * (workflows/activities.ts). The names are the errors' `name`s
 * (core/errors.ts, storage/errors.ts).
 */
export const NON_RETRYABLE_ERROR_TYPES: readonly string[] = ['BadInputError', 'ObjectConflictError', 'ObjectNotFoundError'];

/** Query answered by every w2s workflow. */
export const PROGRESS_QUERY = 'progress';

/**
 * Search attributes every run carries, so `w2s list` (and the Temporal UI)
 * can filter runs. The namespace must have them registered: the dev servers
 * w2s starts do; a cluster needs `temporal operator search-attribute create`
 * once (see deploy/README.md).
 */
export const SEARCH_ATTRIBUTES = {
  configName: { name: 'W2sConfigName', type: 'Keyword' },
  datasetId: { name: 'W2sDatasetId', type: 'Keyword' },
  methods: { name: 'W2sMethods', type: 'KeywordList' },
  bestPgr: { name: 'W2sBestPgr', type: 'Double' },
} as const;
