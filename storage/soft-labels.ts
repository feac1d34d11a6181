/**
 * Soft-label shards in a store: what the labeling stage writes (one shard of
 * teacher logits per image shard) and what evaluation reads back.
 */
import { BadInputError } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import type { ObjectRef } from '../schemas/stages.js';
import { decodeSoftLabelShard, encodeSoftLabelShard, type SoftLabelExpectation, type SoftLabelShard, type SoftLabelShardInput } from './arrow/soft-label-shard.js';
import type { ObjectStore } from './object-store.js';

export async function writeSoftLabels(store: ObjectStore, key: string, input: SoftLabelShardInput): Promise<ObjectRef> {
  const info = await store.put(key, encodeSoftLabelShard(input), { contentType: 'application/vnd.apache.arrow.file' });
  return { key: info.key, sha256: info.sha256, bytes: info.size };
}

/** Reads a soft-label shard, refusing bytes that differ from the reference's sha256. */
export async function readSoftLabels(store: ObjectStore, ref: ObjectRef, expected: SoftLabelExpectation = {}): Promise<SoftLabelShard> {
  const bytes = await store.get(ref.key);
  const sha256 = sha256Hex(bytes);
  const uri = store.uriOf(ref.key);
  if (sha256 !== ref.sha256) throw new BadInputError(uri, `content has sha256 ${sha256}, the reference pins ${ref.sha256}`);
  return decodeSoftLabelShard(bytes, uri, expected);
}
