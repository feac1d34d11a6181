/**
 * Reading and writing `datasets/<datasetId>/manifest.json`. The file is
 * pretty-printed JSON with sorted keys (deterministic bytes); reading checks
 * it against the schema and recomputes the id, so an edited or damaged
 * manifest is refused rather than trusted.
 */
import { BadInputError } from '../../core/errors.js';
import { canonicalJson } from '../../core/hash.js';
import { ManifestSchema, SPLIT_NAMES, type Manifest, type SplitName } from '../../schemas/manifest.js';
import { manifestKey, shardKey } from '../layout.js';
import type { ObjectRef, ShardRef } from '../../schemas/stages.js';
import { ObjectNotFoundError } from '../errors.js';
import { datasetIdOf } from './dataset-id.js';
import type { ObjectStore } from '../object-store.js';

export function serializeManifest(manifest: Manifest): string {
  return `${JSON.stringify(JSON.parse(canonicalJson(manifest)), null, 2)}\n`;
}

export async function readManifest(store: ObjectStore, datasetId: string): Promise<Manifest> {
  const where = `dataset ${datasetId}`;
  if (!/^[0-9a-f]{64}$/.test(datasetId)) throw new BadInputError(where, 'is not a dataset id (64 lower-case hex digits)');
  const key = manifestKey(datasetId);
  let bytes: Uint8Array;
  try {
    bytes = await store.get(key);
  } catch (error) {
    if (error instanceof ObjectNotFoundError) throw new BadInputError(where, `no manifest at ${store.uriOf(key)}; ingest the dataset first`);
    throw error;
  }
  return parseManifest(bytes, store.uriOf(key), datasetId);
}

export function parseManifest(bytes: Uint8Array, uri: string, datasetId?: string): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw new BadInputError(uri, `is not JSON (${(error as Error).message})`);
  }
  const parsed = ManifestSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new BadInputError(uri, `is not a valid manifest: ${issues.join('; ')}`);
  }
  const manifest = parsed.data;
  if (datasetId !== undefined && manifest.datasetId !== datasetId) throw new BadInputError(uri, `names dataset ${manifest.datasetId}, expected ${datasetId}`);
  const recomputed = datasetIdOf(manifest);
  if (recomputed !== manifest.datasetId) throw new BadInputError(uri, `content hashes to ${recomputed}, not its id ${manifest.datasetId} (edited or corrupt?)`);
  return manifest;
}

/** The manifest and shards as pinned references, the way pipeline stages pass them on. */
export async function datasetRefs(store: ObjectStore, manifest: Manifest): Promise<{ manifest: ObjectRef; splits: Record<SplitName, ShardRef[]> }> {
  const info = await store.stat(manifestKey(manifest.datasetId));
  const splits = {} as Record<SplitName, ShardRef[]>;
  for (const split of SPLIT_NAMES) splits[split] = shardsOf(store, manifest, [split]);
  return { manifest: { key: info.key, sha256: info.sha256, bytes: info.size }, splits };
}

/** Image shard references of some splits of a dataset. */
export function shardsOf(store: ObjectStore, manifest: Manifest, splits: readonly SplitName[]): ShardRef[] {
  return splits.flatMap((split) =>
    (manifest.splits[split]?.shards ?? []).map((shard, index) => ({
      key: shardKey(manifest.datasetId, shard.path),
      sha256: shard.sha256,
      bytes: shard.bytes,
      split,
      index,
      rows: shard.rows,
    })),
  );
}
