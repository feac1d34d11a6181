/**
 * What a run tells Temporal's visibility about itself, so `w2s list` and the
 * Temporal UI can find and describe runs without querying each one: search
 * attributes (config name, methods, then the dataset id once ingested and the
 * best PGR once evaluated) and a memo (config name, storage root, then the
 * resolved config's hash). Whoever starts a run (the CLI, a sweep, a
 * retrain) sets what the submitted config says; the run adds the rest.
 */
import { defineSearchAttributeKey, type SearchAttributePair } from '@temporalio/common';
import { SEARCH_ATTRIBUTES } from '../schemas/names.js';
import type { RunConfig } from '../schemas/pipeline.js';

export const CONFIG_NAME = defineSearchAttributeKey(SEARCH_ATTRIBUTES.configName.name, 'KEYWORD');
export const DATASET_ID = defineSearchAttributeKey(SEARCH_ATTRIBUTES.datasetId.name, 'KEYWORD');
export const METHODS = defineSearchAttributeKey(SEARCH_ATTRIBUTES.methods.name, 'KEYWORD_LIST');
export const BEST_PGR = defineSearchAttributeKey(SEARCH_ATTRIBUTES.bestPgr.name, 'DOUBLE');

/** The memo's fields: read back by `w2s list`. */
export interface RunMemo {
  readonly configName: string;
  readonly storageRoot: string;
  /** sha256 of the resolved config (defaults filled in), set once validation has run. */
  readonly configHash?: string;
  /** The student with the best PGR and that PGR, set once the run is evaluated. */
  readonly bestStudent?: string;
}

/** What visibility reads of a config: a parsed one, or a sweep point's before its run parses it. */
export type DescribedConfig = Pick<RunConfig, 'name' | 'storage'> & { readonly students: readonly { readonly method: string }[] };

/** Search attributes known from the submitted config, before anything runs. */
export function startSearchAttributes(config: DescribedConfig): SearchAttributePair[] {
  return [
    { key: CONFIG_NAME, value: config.name },
    { key: METHODS, value: [...new Set(config.students.map((s) => s.method))] },
  ];
}

export function startMemo(config: DescribedConfig): RunMemo {
  return { configName: config.name, storageRoot: config.storage };
}
