/**
 * What every dataset reader (IDX, CIFAR, image folders) gives the sharder:
 * a cheap scan (labels, shape, classes, checks) and then the images of each
 * part streamed in source order, a chunk at a time, so memory stays bounded
 * by the chunk size whatever the dataset size.
 */
import { BadInputError } from '../../core/errors.js';
import type { ImageShape } from '../../schemas/manifest.js';
import type { Transform } from '../../schemas/manifest.js';

export type SourcePart = 'train' | 'test';

export interface SourceFile {
  /** Relative to the source folder, `/`-separated. */
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
}

export interface ImageChunk {
  /** Position of the first image in its part. */
  readonly start: number;
  readonly count: number;
  /** `count` HWC uint8 images back to back. */
  readonly data: Uint8Array;
}

export interface ScannedSource {
  readonly shape: ImageShape;
  readonly classNames: readonly string[];
  /** Labels of each part in source order; `test` is absent when the source has no test set. */
  readonly labels: { readonly train: Int16Array; readonly test?: Int16Array };
  /** Transforms the reader applies to every image (transpose, resize, channel conversion). */
  readonly transforms: readonly Transform[];
  /** The first `count` images of a part, in order. */
  images(part: SourcePart, count: number): AsyncGenerator<ImageChunk>;
  /** Files read so far (complete once every part has been streamed). */
  files(): readonly SourceFile[];
}

/** Class names: the user's, the source's own, or the label numbers. */
export function resolveClassNames(where: string, numClasses: number, own: readonly string[] | undefined, given: readonly string[] | undefined): string[] {
  if (given) {
    if (given.length < numClasses) throw new BadInputError(where, `${given.length} class names given, but labels go up to ${numClasses - 1}`);
    return [...given];
  }
  if (own) return [...own];
  return Array.from({ length: numClasses }, (_, i) => String(i));
}
