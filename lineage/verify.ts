/**
 * `verifyRun`: recomputes the sha256 of every object a run's lineage names
 * (inputs and outputs of every attempt) from its bytes, and compares it with
 * the hash the run recorded. Stored metadata (a GCS custom hash, a local hash
 * cache) is never consulted: those are exactly what a corrupted or replaced
 * object could leave behind unchanged. Records name objects by keys under
 * the root they are read from, so a copied root is checked as the copy, and
 * nothing outside it is ever read (`readLineage` refuses such a reference).
 */
import { createHash } from 'node:crypto';
import type { LineageObject, LineageRecord } from '../schemas/lineage.js';
import { ObjectNotFoundError } from '../storage/errors.js';
import type { ObjectStore } from '../storage/object-store.js';
import { readLineage } from './read.js';
import { missingRecords, type MissingRecords } from './summary.js';

export type Verdict = 'ok' | 'missing' | 'mismatch';

export interface ObjectCheck {
  /** The object's key under the storage root. */
  readonly key: string;
  readonly verdict: Verdict;
  readonly expectedSha256: string;
  readonly expectedBytes: number;
  /** Absent when the object is missing. */
  readonly actualSha256?: string;
  readonly actualBytes?: number;
  /** What the object is to the stages that name it (`shard`, `model`...). */
  readonly roles: readonly string[];
  /** The attempts that name it, as `<stage>#<attempt> input|output`. */
  readonly namedBy: readonly string[];
}

export interface RunVerification {
  readonly runId: string;
  /** True when every object is present with the recorded content and every record the run's summary counts is there. */
  readonly ok: boolean;
  readonly counts: Readonly<Record<Verdict, number>>;
  readonly objects: readonly ObjectCheck[];
  /** Whether the run has a lineage summary to count its records against (a finished run has one). */
  readonly summary: boolean;
  /** Stages with fewer lineage records than the summary counts: deleted or replaced records, whose objects verify cannot see. */
  readonly missingRecords: readonly MissingRecords[];
}

/** How many objects are hashed at once: enough to hide GCS latency, few enough to spare memory and sockets. */
const PARALLEL_READS = 4;

export async function verifyRun(store: ObjectStore, runId: string): Promise<RunVerification> {
  return verifyRecords(store, runId, await readLineage(store, runId));
}

export async function verifyRecords(store: ObjectStore, runId: string, records: readonly LineageRecord[]): Promise<RunVerification> {
  const named = namedObjects(records);
  // One read per key, even if records disagree about its hash (then at most one of them can be right).
  const contents = new Map<string, Promise<Content | undefined>>();
  const contentOf = (key: string): Promise<Content | undefined> => {
    let content = contents.get(key);
    if (!content) {
      content = hashObject(store, key);
      contents.set(key, content);
    }
    return content;
  };
  const objects = await mapWithLimit(named, PARALLEL_READS, async (entry): Promise<ObjectCheck> => {
    const content = await contentOf(entry.object.key);
    const common = {
      key: entry.object.key,
      expectedSha256: entry.object.sha256,
      expectedBytes: entry.object.bytes,
      roles: [...entry.roles].sort(),
      namedBy: entry.namedBy,
    };
    if (!content) return { ...common, verdict: 'missing' };
    const matches = content.sha256 === entry.object.sha256 && content.bytes === entry.object.bytes;
    return { ...common, verdict: matches ? 'ok' : 'mismatch', actualSha256: content.sha256, actualBytes: content.bytes };
  });
  const counts: Record<Verdict, number> = { ok: 0, missing: 0, mismatch: 0 };
  for (const check of objects) counts[check.verdict] += 1;
  const lineage = await missingRecords(store, runId, records);
  return { runId, ok: counts.missing === 0 && counts.mismatch === 0 && lineage.missing.length === 0, counts, objects, summary: lineage.summary, missingRecords: lineage.missing };
}

interface NamedObject {
  readonly object: LineageObject;
  readonly roles: Set<string>;
  readonly namedBy: string[];
}

/** Distinct (key, sha256) pairs in first-mention order, with who names them. */
function namedObjects(records: readonly LineageRecord[]): NamedObject[] {
  const byIdentity = new Map<string, NamedObject>();
  for (const record of records) {
    const mentions = [
      ...record.inputs.map((object) => ({ object, as: 'input' })),
      ...record.outputs.map((object) => ({ object, as: 'output' })),
    ];
    for (const { object, as } of mentions) {
      const identity = `${object.sha256} ${object.key}`;
      const entry = byIdentity.get(identity) ?? { object, roles: new Set<string>(), namedBy: [] };
      entry.roles.add(object.role);
      const mention = `${record.stage}#${record.attempt} ${as}`;
      if (!entry.namedBy.includes(mention)) entry.namedBy.push(mention);
      byIdentity.set(identity, entry);
    }
  }
  return [...byIdentity.values()];
}

interface Content {
  readonly sha256: string;
  readonly bytes: number;
}

/** Streams the object through sha256; undefined when it does not exist. */
async function hashObject(store: ObjectStore, key: string): Promise<Content | undefined> {
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    for await (const chunk of await store.stream(key)) {
      const data = chunk as Uint8Array;
      hash.update(data);
      bytes += data.length;
    }
  } catch (error) {
    if (error instanceof ObjectNotFoundError || isNotFound(error)) return undefined;
    throw error;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** A GCS download that loses its object mid-stream reports a plain 404. */
function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && (error as { code: unknown }).code === 404;
}

async function mapWithLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
