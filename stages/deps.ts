/**
 * What stages share across activities within one worker process, built once
 * by whoever runs the stages (the worker process, or a test) and handed in
 * through the stage runtime: stores by root (a GCS client keeps its
 * connection pool and credentials, so activities must not build one per
 * call), parsed manifests, loaded models, the worker's identity for lineage,
 * and the settings the process read from its environment. Nothing of it is
 * module state: two sets of dependencies in one process share nothing.
 */
import { hostname } from 'node:os';
import type { Manifest } from '../schemas/manifest.js';
import { openStore, type ObjectStore } from '../storage/index.js';
import { ModelCache } from './model-cache.js';

export interface StageSettings {
  /** Local cache for shards of a remote store (default: `<tmp>/w2s-shard-cache`). */
  readonly shardCacheDir?: string;
}

export interface StageDeps {
  /** The store at a root URI, opened once and reused. */
  readonly storeAt: (root: string) => ObjectStore;
  /** Parsed manifests by their sha256. */
  readonly manifests: Map<string, Manifest>;
  readonly models: ModelCache;
  /** The worker as Temporal knows it, recorded in lineage (a function: a serverless worker is a new one per invocation). */
  readonly identity: () => string;
  readonly settings: StageSettings;
}

export interface StageDepsOptions {
  /** Default: `<pid>@<host>`. */
  readonly identity?: string | (() => string);
  readonly settings?: StageSettings;
}

export function createStageDeps(options: StageDepsOptions = {}): StageDeps {
  const stores = new Map<string, ObjectStore>();
  return {
    storeAt(root) {
      let store = stores.get(root);
      if (!store) {
        store = openStore(root);
        stores.set(root, store);
      }
      return store;
    },
    manifests: new Map(),
    models: new ModelCache(),
    identity: typeof options.identity === 'function' ? options.identity : constant(options.identity ?? `${process.pid}@${hostname()}`),
    settings: options.settings ?? {},
  };
}

function constant(identity: string): () => string {
  return () => identity;
}

/** The stage settings a process's environment sets: `W2S_CACHE_DIR` (the shard cache of remote stores). */
export function stageSettingsFrom(env: NodeJS.ProcessEnv): StageSettings {
  return env.W2S_CACHE_DIR ? { shardCacheDir: env.W2S_CACHE_DIR } : {};
}
