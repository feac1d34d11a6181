import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { isBadInputError } from '../../../core/errors.js';
import { ingestDataset, type DataFormat } from '../../../storage/ingest/ingest.js';
import { openStore } from '../../../storage/open.js';
import type { IngestOptionsInput } from '../../../schemas/manifest.js';
import { cifarRecords, idxImages, idxLabels, writeCifar10Source, writeIdxSource, writeImageFolder, writePng } from '../sources.js';

const labels = (n: number): number[] => Array.from({ length: n }, (_, i) => i % 4);

/** Runs an ingest that must fail with a BadInputError matching `pattern`, and leave the store empty. */
async function refused(source: string, format: DataFormat, pattern: RegExp, options: IngestOptionsInput = {}): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'w2s-bad-store-'));
  try {
    const store = openStore(root);
    await assert.rejects(ingestDataset({ source, format, store, options }), (error: unknown) => {
      assert.ok(isBadInputError(error), `expected BadInputError, got ${error instanceof Error ? error.stack : String(error)}`);
      assert.match(error.message, pattern);
      return true;
    });
    assert.deepEqual(await store.list(''), [], 'nothing may be left in storage');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function withSource(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'w2s-bad-source-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('IDX: truncated images, wrong magic, and image/label counts that differ', async () => {
  await withSource(async (dir) => {
    await writeIdxSource(dir, labels(40), labels(12));
    const images = join(dir, 'train-images-idx3-ubyte.gz');
    const whole = idxImages(40, 6, 5);
    await writeFile(images, gzipSync(whole.subarray(0, whole.length - 100)));
    await refused(dir, 'idx', new RegExp(`^IDX file ${images}: expected 1216 bytes, found 1116 \\(truncated\\?\\)$`));
    // Truncation past a limit is still found.
    await refused(dir, 'idx', /expected 1216 bytes, found 1116 \(truncated\?\)/, { limit: { train: 8 } });

    const wrong = Buffer.from(whole);
    wrong[2] = 0x0d;
    await writeFile(images, gzipSync(wrong));
    await refused(dir, 'idx', /IDX data type 0x0d \(float32\) is not supported/);
    await writeFile(images, gzipSync(Buffer.concat([Buffer.from('GIF89a'), whole])));
    await refused(dir, 'idx', /not an IDX file: magic bytes after gunzip are 0x47 0x49 0x46 0x38/);

    await writeFile(images, gzipSync(whole));
    await writeFile(join(dir, 'train-labels-idx1-ubyte.gz'), gzipSync(idxLabels(labels(39))));
    await refused(dir, 'idx', /^IDX files .*train-images-idx3-ubyte\.gz and .*train-labels-idx1-ubyte\.gz: 40 images but 39 labels; the counts must match$/);
  });
});

test('IDX: a folder without IDX files, or with several sets and no prefix', async () => {
  await withSource(async (dir) => {
    await refused(dir, 'idx', /no IDX files/);
    await writeIdxSource(dir, labels(20), labels(8), 'emnist-letters-');
    await writeIdxSource(dir, labels(20), labels(8), 'emnist-digits-');
    await refused(dir, 'idx', /holds several IDX file sets \("emnist-digits-", "emnist-letters-"\); choose one with idxPrefix/);
  });
  await refused('/nonexistent/w2s-source', 'idx', /^IDX source \/nonexistent\/w2s-source: no such file$/);
});

test('CIFAR: truncated batch, label out of range, missing batches', async () => {
  await withSource(async (dir) => {
    await writeCifar10Source(dir, 6, 4);
    const batch = join(dir, 'data_batch_3.bin');
    const bytes = await readFile(batch);
    await writeFile(batch, bytes.subarray(0, bytes.length - 1000));
    await refused(dir, 'cifar', new RegExp(`^CIFAR file ${batch}: 17438 bytes is not a whole number of 3073-byte records \\(truncated\\?\\)$`));
    await writeFile(batch, cifarRecords([[3], [12], [1]], 0));
    await refused(dir, 'cifar', /data_batch_3\.bin: record 1 has label 12, but cifar-10 has 10 classes/);
    await rm(batch);
    await refused(dir, 'cifar', /CIFAR-10 batches missing: data_batch_3\.bin/);
  });
});

test('image folders: corrupt PNG, non-image file, empty class, mixed sizes, escaping links', async () => {
  await withSource(async (dir) => {
    await writeImageFolder(dir, { cat: 3, dog: 3 }, 8, 6);
    const victim = join(dir, 'dog', 'img-001.png');
    const png = await readFile(victim);
    await writeFile(victim, png.subarray(0, png.length - 30));
    await refused(dir, 'folder', new RegExp(`^image ${victim}: (cannot be decoded|is not a readable image)`));
    await writePng(victim, 1, 8, 6);

    await writeFile(join(dir, 'cat', 'notes.txt'), 'not an image');
    await refused(dir, 'folder', /^image .*cat\/notes\.txt: is not a readable image/);
    await rm(join(dir, 'cat', 'notes.txt'));

    await mkdir(join(dir, 'emu'));
    await refused(dir, 'folder', /^class folder .*emu: is empty; every class needs at least one image$/);
    await rm(join(dir, 'emu'), { recursive: true });

    await writePng(join(dir, 'cat', 'big.png'), 9, 10, 6);
    await refused(dir, 'folder', /^image .*cat\/big\.png: is 10x6, but 6 of 7 images are 8x6 \(e\.g\. .*\/img-000\.png\); give a resize setting for folders of mixed sizes$/);
    await rm(join(dir, 'cat', 'big.png'));

    const outside = await mkdtemp(join(tmpdir(), 'w2s-outside-'));
    try {
      await writePng(join(outside, 'secret.png'), 5, 8, 6);
      await symlink(join(outside, 'secret.png'), join(dir, 'cat', 'link.png'));
      await refused(dir, 'folder', /^image folder entry .*cat\/link\.png: resolves to .*secret\.png, outside the source folder/);
      await rm(join(dir, 'cat', 'link.png'));
      await symlink(outside, join(dir, 'escape'));
      await refused(dir, 'folder', /^image folder entry .*escape: resolves to .*, outside the source folder/);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });
});

test('bad options are BadInputErrors naming the option', async () => {
  await withSource(async (dir) => {
    await writeIdxSource(dir, labels(40), labels(12));
    await refused(dir, 'idx', /^ingest option splits: weak \+ transfer \+ validation \+ pool must be at most 1$/, { splits: { weak: 0.7, transfer: 0.7 } });
    await refused(dir, 'idx', /^ingest option shardSize:/, { shardSize: 0 });
    await refused(dir, 'idx', /^splits: the weak split would be empty/, { splits: { weak: 0, transfer: 1 } });
    await refused(dir, 'idx', /^IDX source .*: 2 class names given, but labels go up to 3$/, { classNames: ['a', 'b'] });
    await refused(dir, 'bogus' as DataFormat, /unknown source format "bogus"/);
  });
});
