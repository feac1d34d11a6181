/**
 * The one check of a run config that needs the workers' view: a source in
 * a bucket (`gs://…`) exists and holds files of its format. Everything the
 * submitting machine can check is in storage/run-checks.ts; the rules that
 * need no I/O are the run plan's (schemas/plan.ts).
 */
import type { RunConfig } from '../schemas/pipeline.js';
import type { ObjectStore } from '../storage/object-store.js';
import { sourceProblems } from '../storage/readers/source-check.js';
import { isStoreSource, openSourceTree } from '../storage/readers/source-tree.js';

/** Where the workers are: a storage-URI source exists and holds files of its format (empty for local sources). */
export async function storeSourceProblems(config: RunConfig, open: (uri: string) => ObjectStore): Promise<string[]> {
  const { source, format } = config.dataset;
  if (!isStoreSource(source)) return [];
  return sourceProblems(await openSourceTree(source, { label: 'source', open }), format);
}

