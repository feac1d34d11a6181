/**
 * OpenLineage wants a UUID per run; w2s has names (run id, stage, attempt).
 * A name-based UUID (RFC 9562 version 8, the SHA-256 variant of the version
 * 5 scheme) turns one into the other deterministically, so exporting the
 * same run twice gives identical events and a consumer deduplicates them.
 */
import { createHash } from 'node:crypto';

/** A fixed namespace for w2s names, so they cannot collide with another producer's name-based UUIDs. */
const W2S_NAMESPACE = 'a0c3f7e2-5b1d-4e8a-9f60-7d2c4b8e1a35';

export function nameUuid(...parts: readonly (string | number)[]): string {
  // Parts are length-prefixed so ("a-b", "c") and ("a", "b-c") name different runs.
  const name = parts.map((part) => `${String(part).length}:${String(part)}`).join('');
  const digest = createHash('sha256').update(Buffer.from(W2S_NAMESPACE.replaceAll('-', ''), 'hex')).update(name).digest();
  const bytes = digest.subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x80;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The pipeline run's UUID: the parent of every stage attempt. */
export function pipelineRunUuid(runId: string): string {
  return nameUuid('w2s-run', runId);
}

/** One stage attempt's UUID. */
export function stageRunUuid(runId: string, stage: string, attempt: number): string {
  return nameUuid('w2s-stage-attempt', runId, stage, attempt);
}
