import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerIngest } from '../../cli/commands/ingest.js';
import { isBadInputError } from '../../core/errors.js';
import { ManifestSchema } from '../../schemas/manifest.js';
import { openStore } from '../../storage/open.js';
import { readManifest } from '../../storage/ingest/manifest-io.js';
import { embeddingColumns, embeddingsFileBytes, fashionEmbeddings, writeEmbeddingsFolder } from '../harness/embeddings.js';
import { writeIdxSource } from './sources.js';

async function w2s(args: string[]): Promise<{ out: string; err: string }> {
  let out = '';
  let err = '';
  const program = new Command('w2s').exitOverride().configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
  registerIngest(program);
  await program.parseAsync(['node', 'w2s', ...args]);
  return { out, err };
}

test('w2s ingest prints the dataset id and a summary; --json prints the manifest', async () => {
  const root = await mkdtemp(join(tmpdir(), 'w2s-cli-'));
  try {
    const labels = Array.from({ length: 90 }, (_, i) => i % 3);
    await writeIdxSource(join(root, 'src'), labels, labels.slice(0, 30));
    const storage = join(root, 'store');
    const common = ['ingest', join(root, 'src'), '--format', 'idx', '--storage', storage, '--seed', '5', '--no-progress'];
    const { out } = await w2s([...common, '--weak', '0.4', '--transfer', '0.4', '--validation', '0.2', '--shard-size', '10', '--label-noise', 'pairwise:0.1', '--classes', 'a,b,c']);
    const id = /^dataset ([0-9a-f]{64})$/m.exec(out)?.[1];
    assert.ok(id, out);
    const manifest = await readManifest(openStore(storage), id);
    assert.deepEqual(manifest.classes, ['a', 'b', 'c']);
    assert.equal(manifest.seed, 5);
    assert.deepEqual([manifest.splits.weak.rows, manifest.splits.transfer.rows, manifest.splits.validation.rows, manifest.splits.test.rows], [36, 36, 18, 30]);
    assert.match(out, /weak\s+36 rows in 4 shards \(noisy labels, clean_label kept\)/);
    assert.match(out, /pairwise label noise 0\.1 \(weak: 4 flipped, transfer: 4 flipped\)/);

    const json = await w2s([...common, '--weak', '0.4', '--transfer', '0.4', '--validation', '0.2', '--shard-size', '10', '--label-noise', 'pairwise:0.1', '--classes', 'a,b,c', '--json']);
    const parsed = ManifestSchema.parse(JSON.parse(json.out));
    assert.equal(parsed.datasetId, id, 'same input, same dataset id');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('w2s ingest rejects bad flags and reports bad input', async () => {
  await assert.rejects(w2s(['ingest', '/tmp', '--format', 'png']), /argument 'png' is invalid/);
  await assert.rejects(w2s(['ingest', '/tmp', '--weak', '1.5']), /--weak must be a number between 0 and 1/);
  await assert.rejects(w2s(['ingest', '/tmp', '--label-noise', 'uniform:0.2']), /--label-noise takes symmetric:RATE or pairwise:RATE/);
  await assert.rejects(w2s(['ingest', '/tmp', '--resize', '32']), /--resize takes HEIGHTxWIDTH/);
  const storage = await mkdtemp(join(tmpdir(), 'w2s-cli-'));
  try {
    await assert.rejects(w2s(['ingest', '/nonexistent/src', '--storage', storage, '--no-progress']), (error: unknown) => isBadInputError(error) && /no such file/.test(error.message));
  } finally {
    await rm(storage, { recursive: true, force: true });
  }
});

test('w2s ingest --format embeddings: the vectors\' width in the summary; an image option refused by name', async () => {
  const root = await mkdtemp(join(tmpdir(), 'w2s-cli-'));
  try {
    const embeddings = await fashionEmbeddings(200, 12);
    const source = await writeEmbeddingsFolder(join(root, 'vectors'), embeddingsFileBytes(embeddingColumns(embeddings)));
    const storage = join(root, 'store');
    const { out } = await w2s(['ingest', source, '--format', 'embeddings', '--storage', storage, '--no-progress', '--shard-size', '50']);
    const id = /^dataset ([0-9a-f]{64})$/m.exec(out)?.[1];
    assert.ok(id, out);
    assert.match(out, /source\s+embeddings, 200 train \+ 0 test examples, 1 files/);
    assert.match(out, /vectors\s+12 float32 values each \(from float32\), 10 classes/);
    assert.doesNotMatch(out, /normalise/);
    assert.deepEqual((await readManifest(openStore(storage), id)).examples, { kind: 'embedding', dim: 12, dtype: 'float32', sourceDtype: 'float32' });
    await assert.rejects(w2s(['ingest', source, '--format', 'embeddings', '--storage', join(root, 'other'), '--no-progress', '--resize', '8x8']), /resize: applies to images; an embeddings dataset holds vectors/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
