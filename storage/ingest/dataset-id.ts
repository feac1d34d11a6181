/**
 * The dataset id: sha256 of the manifest's canonical JSON without the id
 * itself and without shard digests (every shard embeds the id, so the id
 * must be known before shard bytes exist; see schemas/manifest.ts).
 */
import { hashJson } from '../../core/hash.js';
import type { Manifest } from '../../schemas/manifest.js';

export function datasetIdOf(manifest: Omit<Manifest, 'datasetId'> & { datasetId?: string }): string {
  const rest: Omit<Manifest, 'datasetId'> & { datasetId?: string } = { ...manifest };
  delete rest.datasetId;
  const splits = Object.fromEntries(
    Object.entries(rest.splits).map(([name, split]) => [name, { ...split, shards: split.shards.map(({ path, rows }) => ({ path, rows })) }]),
  );
  return hashJson({ ...rest, splits });
}

