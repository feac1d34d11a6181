/**
 * A dataset shard (or manifest) damaged after ingest heals on the next
 * ingest of the same data: the stored object no longer matches what the
 * dataset recorded, so it is the damaged one; ingest names it and rewrites
 * it, where it used to fail every later run with a write-once conflict.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { LogLevel, LogMetadata } from '@temporalio/common';
import { createActivities, createActivityDeps } from '../../activities/index.js';
import { sha256Hex } from '../../core/hash.js';
import { DatasetConfigSchema } from '../../schemas/pipeline.js';
import type { IngestOutput } from '../../schemas/stages.js';
import { localStorageRoot, syntheticFashionMnist } from '../harness/pipeline.js';

const { ingest } = createActivities(createActivityDeps());

async function ingestInto(storage: string, runId: string, warnings: string[]): Promise<IngestOutput> {
  const dataset = DatasetConfigSchema.parse({ source: await syntheticFashionMnist(), format: 'idx', limit: { train: 600, test: 200 }, shardSize: 150 });
  const log = (level: LogLevel) => (message: string, _meta?: LogMetadata) => void (level === 'WARN' && warnings.push(message));
  const logger = { log: (level: LogLevel, message: string) => log(level)(message), trace: log('TRACE'), debug: log('DEBUG'), info: log('INFO'), warn: log('WARN'), error: log('ERROR') };
  return new MockActivityEnvironment({}, { logger }).run(ingest, { runId, storage, stage: 'ingest', dataset, seed: 3 }) as Promise<IngestOutput>;
}

async function corrupt(path: string): Promise<void> {
  const bytes = await readFile(path);
  bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] ?? 0) ^ 0xff;
  await chmod(path, 0o644);
  await writeFile(path, bytes);
}

test('a damaged shard is named and rewritten by the next ingest of the same data', async () => {
  const storage = await localStorageRoot();
  const first = await ingestInto(storage, 'heal-1', []);
  const shard = first.splits.weak![0]!;
  const path = join(storage, shard.key);
  await corrupt(path);

  const warnings: string[] = [];
  const second = await ingestInto(storage, 'heal-2', warnings);
  assert.equal(second.datasetId, first.datasetId);
  assert.equal(sha256Hex(await readFile(path)), shard.sha256, 'the shard holds its recorded bytes again');
  const named = warnings.filter((w) => w.includes(shard.key));
  assert.equal(named.length, 1, warnings.join('\n'));
  assert.match(named[0]!, new RegExp(`: damaged \\(its sha256 is [0-9a-f]{64}; its manifest records sha256 ${shard.sha256}\\); rewriting it`));
});

test('a damaged manifest is named and rewritten too', async () => {
  const storage = await localStorageRoot();
  const first = await ingestInto(storage, 'manifest-1', []);
  const path = join(storage, first.manifest.key);
  await chmod(path, 0o644);
  await writeFile(path, '{"truncated": ');
  const warnings: string[] = [];
  await ingestInto(storage, 'manifest-2', warnings);
  assert.equal(sha256Hex(await readFile(path)), first.manifest.sha256);
  assert.ok(warnings.some((w) => w.includes('manifest.json: damaged (') && w.includes('is not JSON')), warnings.join('\n'));
});
