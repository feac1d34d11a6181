/**
 * The steps every ingest shares once its examples are decoded: the split
 * entries of the draft manifest (shard placeholders), then the shards, each
 * carrying the dataset id, then the manifest last, so readers only ever find
 * complete datasets. What a shard holds (images, vectors) is the caller's.
 */
import { sha256Hex } from '../../core/hash.js';
import { ManifestSchema, SPLIT_NAMES, type IngestOptions, type Manifest, type SplitEntry, type SplitName } from '../../schemas/manifest.js';
import { manifestKey, shardKey, shardPath } from '../layout.js';
import { datasetIdOf } from './dataset-id.js';
import { manifestDamage, putRepairing, recordedShards, type IngestRequest } from './ingest.js';
import { serializeManifest } from './manifest-io.js';
import type { Plan } from './plan.js';

/** Each split's manifest entry, its shards as placeholders until written (the id does not cover digests). */
export function draftSplits(plan: Plan, classNames: readonly string[], options: IngestOptions): Record<SplitName, SplitEntry> {
  const splits = {} as Record<SplitName, SplitEntry>;
  for (const name of SPLIT_NAMES) {
    // A pool only where the options ask for one: a dataset without it keeps its manifest, and so its id.
    if (name === 'pool' && options.splits.pool === undefined) continue;
    const split = plan.splits[name];
    const classCounts = new Array<number>(classNames.length).fill(0);
    for (const label of split.labels) classCounts[label]!++;
    const shards = [];
    for (let start = 0, n = 0; start < split.indices.length; start += options.shardSize, n++) {
      shards.push({ path: shardPath(name, n), rows: Math.min(options.shardSize, split.indices.length - start), sha256: '', bytes: 0 });
    }
    splits[name] = { rows: split.indices.length, classCounts, cleanLabels: split.cleanLabels !== undefined, shards };
  }
  return splits;
}

/** The bytes of one shard: rows `start..end` of split `name`'s plan, under `datasetId`. */
export type EncodeShard = (datasetId: string, name: SplitName, start: number, end: number) => Uint8Array;

/** Writes the draft's shards, then its manifest (with the written shards' digests); returns the manifest. */
export async function writeDataset(request: IngestRequest, draft: Omit<Manifest, 'datasetId'>, encode: EncodeShard): Promise<Manifest> {
  const progress = request.onProgress ?? (() => undefined);
  const datasetId = datasetIdOf(draft);
  const totalShards = SPLIT_NAMES.reduce((n, name) => n + (draft.splits[name]?.shards.length ?? 0), 0);
  let written = 0;
  // What an earlier ingest of this dataset recorded: how a damaged shard is told from a writer that disagrees.
  const recorded = await recordedShards(request.store, datasetId);
  const splits = {} as Record<SplitName, SplitEntry>;
  for (const name of SPLIT_NAMES) {
    const entry = draft.splits[name];
    if (!entry) continue;
    const shards = [];
    let start = 0;
    for (const shard of entry.shards) {
      const end = start + shard.rows;
      const bytes = encode(datasetId, name, start, end);
      const info = await putRepairing(request, shardKey(datasetId, shard.path), bytes, 'application/vnd.apache.arrow.file', (conflict) => {
        const sha256 = recorded.get(shard.path);
        // Damaged: the dataset recorded exactly these bytes, and what is stored is something else.
        return sha256 === sha256Hex(bytes) && conflict.existingSha256 !== sha256 ? `its manifest records sha256 ${sha256}` : undefined;
      });
      shards.push({ path: shard.path, rows: shard.rows, sha256: info.sha256, bytes: info.size });
      start = end;
      progress({ phase: 'write', done: ++written, total: totalShards });
    }
    splits[name] = { ...entry, shards };
  }
  const manifest = ManifestSchema.parse({ ...draft, datasetId, splits });
  await putRepairing(request, manifestKey(datasetId), serializeManifest(manifest), 'application/json', (conflict) => manifestDamage(request.store, datasetId, conflict.uri));
  return manifest;
}
