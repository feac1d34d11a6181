/**
 * Names the workflows, the workers and the clients must agree on: task
 * queues, the progress query and the training progress signal. Plain
 * strings, so a client can start a run without loading the worker stack.
 */

/** Runs the workflows and the short stages (ingest, label, evaluate, report). */
export const CPU_QUEUE = 'w2s-cpu';
/** Runs training, one activity at a time per process. */
export const GPU_QUEUE = 'w2s-gpu';
export const QUEUES = [CPU_QUEUE, GPU_QUEUE] as const;

/** Signal a training activity sends its workflow as it goes, so the progress query can answer. */
export const TRAIN_PROGRESS_SIGNAL = 'trainProgress';
/** Query answered by every w2s workflow. */
export const PROGRESS_QUERY = 'progress';
