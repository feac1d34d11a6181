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
