/**
 * Small dataset sources written on the fly for tests: IDX pairs, CIFAR
 * batches and image folders with known pixels and labels.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import sharp from 'sharp';

/** Deterministic pixel value of example `n`, pixel `p`. */
export function pixel(n: number, p: number): number {
  return (n * 37 + p * 11) & 255;
}

export function idxImages(count: number, height: number, width: number): Buffer {
  const header = Buffer.alloc(16);
  header.writeUInt32BE(0x00000803, 0);
  header.writeUInt32BE(count, 4);
  header.writeUInt32BE(height, 8);
  header.writeUInt32BE(width, 12);
  const data = Buffer.alloc(count * height * width);
  for (let n = 0; n < count; n++) for (let p = 0; p < height * width; p++) data[n * height * width + p] = pixel(n, p);
  return Buffer.concat([header, data]);
}

export function idxLabels(labels: readonly number[]): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(0x00000801, 0);
  header.writeUInt32BE(labels.length, 4);
  return Buffer.concat([header, Buffer.from(labels)]);
}

/** An MNIST-style folder: train and t10k pairs, gzipped. */
export async function writeIdxSource(dir: string, train: readonly number[], test: readonly number[], prefix = ''): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${prefix}train-images-idx3-ubyte.gz`), gzipSync(idxImages(train.length, 6, 5)));
  await writeFile(join(dir, `${prefix}train-labels-idx1-ubyte.gz`), gzipSync(idxLabels(train)));
  await writeFile(join(dir, `${prefix}t10k-images-idx3-ubyte.gz`), gzipSync(idxImages(test.length, 6, 5)));
  await writeFile(join(dir, `${prefix}t10k-labels-idx1-ubyte.gz`), gzipSync(idxLabels(test)));
}

/** CIFAR records (planes R, G, B); `labelBytes` 1 (CIFAR-10) or 2 (CIFAR-100: coarse, fine). */
export function cifarRecords(labels: ReadonlyArray<readonly number[]>, first: number): Buffer {
  const recordBytes = labels[0]!.length + 3072;
  const out = Buffer.alloc(labels.length * recordBytes);
  labels.forEach((label, r) => {
    const base = r * recordBytes;
    label.forEach((value, i) => (out[base + i] = value));
    for (let p = 0; p < 3072; p++) out[base + label.length + p] = pixel(first + r, p);
  });
  return out;
}

export async function writeCifar10Source(dir: string, perBatch: number, testCount: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let b = 0; b < 5; b++) {
    const labels = Array.from({ length: perBatch }, (_, i) => [(b * perBatch + i) % 10]);
    await writeFile(join(dir, `data_batch_${b + 1}.bin`), cifarRecords(labels, b * perBatch));
  }
  const testLabels = Array.from({ length: testCount }, (_, i) => [(i * 3) % 10]);
  await writeFile(join(dir, 'test_batch.bin'), cifarRecords(testLabels, 5 * perBatch));
  const names = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
  await writeFile(join(dir, 'batches.meta.txt'), `${names.join('\n')}\n\n`);
}

/** Raw RGB pixels of image `n` (height x width x 3). */
export function rgbPixels(n: number, height: number, width: number): Buffer {
  const data = Buffer.alloc(height * width * 3);
  for (let p = 0; p < data.length; p++) data[p] = pixel(n, p);
  return data;
}

export async function writePng(path: string, n: number, height: number, width: number, channels: 1 | 3 = 3): Promise<void> {
  const raw = channels === 3 ? rgbPixels(n, height, width) : Buffer.from(Array.from({ length: height * width }, (_, p) => pixel(n, p)));
  const image = sharp(raw, { raw: { width, height, channels } });
  await (channels === 1 ? image.toColourspace('b-w') : image).png().toFile(path);
}

/** `classes[c]` images per class, PNGs numbered by a running example number. */
export async function writeImageFolder(dir: string, classes: Record<string, number>, height: number, width: number, channels: 1 | 3 = 3): Promise<void> {
  let n = 0;
  for (const [name, count] of Object.entries(classes)) {
    await mkdir(join(dir, name), { recursive: true });
    for (let i = 0; i < count; i++) await writePng(join(dir, name, `img-${String(i).padStart(3, '0')}.png`), n++, height, width, channels);
  }
}
