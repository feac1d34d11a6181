/**
 * Reads a run's lineage records (`lineage/<runId>/<stage>-<attempt>.json`),
 * each checked against the record schema and against its own key, so a
 * malformed or misplaced record is an error that names it rather than a
 * silently wrong graph. Every object a record names must be a key inside the
 * root it is read from: a reference that leaves the root (an edited record
 * naming `/etc/passwd`) is refused here, before anything reads it.
 */
import { z } from 'zod';
import { BadInputError, isBadInputError } from '../core/errors.js';
import { LineageRecordSchema, type LineageRecord } from '../schemas/lineage.js';
import { lineagePrefix, parseLineageRecordName } from '../storage/layout.js';
import type { ObjectStore } from '../storage/object-store.js';
import { checkKey } from '../storage/uri.js';
import { byStart } from './graph.js';

export { lineagePrefix };

/** Every record of the run, oldest attempt first (by start time, then stage and attempt). */
export async function readLineage(store: ObjectStore, runId: string): Promise<LineageRecord[]> {
  const prefix = lineagePrefix(runId);
  const keys = (await store.list(prefix)).filter((key) => key.endsWith('.json') && !key.slice(prefix.length).includes('/'));
  if (keys.length === 0) {
    throw new BadInputError(`${store.uri}/${prefix}`, `no lineage records for run "${runId}"; check the run id and that --storage is the run's storage root`);
  }
  const records = await Promise.all(keys.map((key) => readRecord(store, key, runId)));
  return records.sort(byStart);
}

async function readRecord(store: ObjectStore, key: string, runId: string): Promise<LineageRecord> {
  const where = `lineage record ${store.uriOf(key)}`;
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(await store.get(key)));
  } catch (error) {
    if (error instanceof SyntaxError) throw new BadInputError(where, `is not valid JSON (${error.message})`);
    throw error;
  }
  const parsed = LineageRecordSchema.safeParse(withKeys(store, json, where));
  if (!parsed.success) throw new BadInputError(where, `does not match the lineage record schema:\n${z.prettifyError(parsed.error)}`);
  const record = parsed.data;
  const name = parseLineageRecordName(key.slice(lineagePrefix(runId).length));
  if (record.runId !== runId || name?.stage !== record.stage || name.attempt !== record.attempt) {
    throw new BadInputError(where, `holds run "${record.runId}", stage "${record.stage}", attempt ${record.attempt}, which does not match where it is stored`);
  }
  for (const side of ['inputs', 'outputs'] as const) {
    record[side].forEach((object, i) => {
      try {
        checkKey(object.key);
      } catch (error) {
        if (!isBadInputError(error)) throw error;
        throw new BadInputError(where, `${side}[${i}] names "${object.key}", which leaves the storage root ${store.uri} (${error.message}); a record names objects by keys inside its root, so this one is not read`);
      }
    });
  }
  for (const time of ['startedAt', 'endedAt'] as const) {
    if (Number.isNaN(Date.parse(record[time]))) throw new BadInputError(where, `${time} "${record[time]}" is not a timestamp`);
  }
  return record;
}

/**
 * Records written before references became storage-relative name objects by
 * absolute `uri`: those under this root are read as their keys; any other is
 * refused, naming the record and the reference.
 */
function withKeys(store: ObjectStore, json: unknown, where: string): unknown {
  if (typeof json !== 'object' || json === null) return json;
  const record = { ...(json as Record<string, unknown>) };
  for (const side of ['inputs', 'outputs'] as const) {
    const objects = record[side];
    if (!Array.isArray(objects)) continue;
    record[side] = objects.map((object: unknown, i) => {
      if (typeof object !== 'object' || object === null || !('uri' in object) || 'key' in object) return object;
      const { uri, ...rest } = object as Record<string, unknown>;
      try {
        return { ...rest, key: store.keyOf(String(uri)) };
      } catch (error) {
        if (!isBadInputError(error)) throw error;
        throw new BadInputError(where, `${side}[${i}] names "${String(uri)}", which is outside the storage root ${store.uri}; a record names only objects inside its root, so this one is not read`);
      }
    });
  }
  return record;
}
