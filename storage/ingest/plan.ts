/**
 * Which example goes to which split, in which order, with which label: a
 * pure function of the labels, the options and the seed.
 *
 * - Stratified: each class is permuted on its own (keyed by seed and class)
 *   and cut by the split fractions, so every split keeps the class balance
 *   (rounding carried from class to class, see DiffusedShare).
 * - The pool (`splits.pool`, a fraction of each class) is cut before
 *   anything else from a permutation that does not depend on the seed, so
 *   runs of every seed share it; the other splits come from what is left.
 * - The source's own test set is the test split; without one, `splits.test`
 *   of each class is held out first and the other fractions apply to the rest.
 * - `classes` keeps only the examples of the classes it names (train and
 *   test alike), relabelled by their position in the list; the others are
 *   dropped before any split is cut.
 * - Few-shot keeps the first `perClass` of each class in each training split
 *   (or in the ones it names).
 * - Each split's order is a seeded shuffle, so shards are class-mixed.
 * - Label noise changes exactly round(rate * n) labels of each affected split
 *   (symmetric: to a uniformly drawn other class; pairwise: c to c+1 mod K)
 *   and keeps the originals as clean labels.
 *
 * Dataset indices: the source's train examples are 0..nTrain-1 in source
 * order, its test examples follow.
 */
import { BadInputError } from '../../core/errors.js';
import { Rng } from '../../core/random.js';
import { SPLIT_NAMES, TRAINING_SPLITS, type IngestOptions, type SplitName, type Transform } from '../../schemas/manifest.js';

export interface SplitPlan {
  readonly name: SplitName;
  /** Dataset indices in shard order. */
  readonly indices: Uint32Array;
  /** Labels as written to the shards (after any noise). */
  readonly labels: Int16Array;
  /** The original labels, only where label noise changed some. */
  readonly cleanLabels?: Int16Array;
  readonly flipped: number;
}

export interface Plan {
  readonly splits: Readonly<Record<SplitName, SplitPlan>>;
  /** Per dataset index: position in SPLIT_NAMES of its split, or -1 when dropped. */
  readonly splitOf: Int8Array;
  /** Per dataset index: row within its split. */
  readonly positionOf: Uint32Array;
  readonly transforms: readonly Transform[];
  /** The source classes kept, in label order (every class unless `classes` names some). */
  readonly classes: readonly number[];
}

export interface PlanInput {
  /** Source train labels, after any limit. */
  readonly trainLabels: Int16Array;
  /** Source test labels, after any limit; absent when the source has no test set. */
  readonly testLabels?: Int16Array;
  readonly numClasses: number;
  readonly options: IngestOptions;
  readonly seed: number;
}

export function planSplits({ trainLabels, testLabels, numClasses, options, seed }: PlanInput): Plan {
  const total = trainLabels.length + (testLabels?.length ?? 0);
  const members: Record<SplitName, number[]> = { weak: [], transfer: [], validation: [], test: [], pool: [] };
  const { weak, transfer, validation, test, pool = 0 } = options.splits;
  const fewShot = options.fewShot?.perClass;
  const fewShotSplits: readonly SplitName[] = options.fewShot?.splits ?? TRAINING_SPLITS;

  const kept = keptClasses(options.classes, numClasses);
  // Source label -> label written, or -1 for a class left out.
  const relabel = new Int16Array(numClasses).fill(-1);
  kept.forEach((c, label) => (relabel[c] = label));
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  trainLabels.forEach((label, i) => byClass[label]!.push(i));
  const heldOut = new DiffusedShare(testLabels ? 0 : test);
  const shares = { weak: new DiffusedShare(weak), transfer: new DiffusedShare(transfer), validation: new DiffusedShare(validation), pool: new DiffusedShare(pool) };
  for (const c of kept) {
    const n = byClass[c]!.length;
    // How many are held out as test is a count, fixed before any draw; which ones follows the seed.
    const held = heldOut.next(n, n);
    // Every other fraction is of the rest: the class's training examples, the pool's included.
    const rest = n - held;
    let ofClass: number[];
    if (options.splits.pool === undefined) {
      ofClass = Rng.keyed(seed, 'split', c).shuffle(byClass[c]!);
    } else {
      // The pool is drawn first and without the seed: every seed's run shares one pool, and so one
      // pretrained backbone, as every experiment shares one foundation model. The rest is split by seed.
      const fixed = Rng.keyed(0, 'pool', c).shuffle(byClass[c]!);
      const take = shares.pool.next(rest, rest);
      members.pool.push(...fixed.slice(0, take));
      ofClass = Rng.keyed(seed, 'split', c).shuffle(fixed.slice(take).sort((a, b) => a - b));
    }
    members.test.push(...ofClass.slice(0, held));
    let start = held;
    for (const name of ['weak', 'transfer', 'validation'] as const) {
      const take = shares[name].next(rest, ofClass.length - start);
      const slice = ofClass.slice(start, start + take);
      start += take;
      members[name].push(...(fewShot !== undefined && fewShotSplits.includes(name) ? slice.slice(0, fewShot) : slice));
    }
  }
  testLabels?.forEach((label, i) => {
    if (relabel[label]! >= 0) members.test.push(trainLabels.length + i);
  });

  const labelOf = (index: number): number => relabel[index < trainLabels.length ? trainLabels[index]! : testLabels![index - trainLabels.length]!]!;
  const splitOf = new Int8Array(total).fill(-1);
  const positionOf = new Uint32Array(total);
  const transforms: Transform[] = [];
  if (options.classes) transforms.push({ kind: 'classes', keep: [...kept] });
  if (fewShot !== undefined) transforms.push({ kind: 'subsample', perClass: fewShot, splits: [...fewShotSplits] });
  const noise = options.labelNoise;
  const labelCount = kept.length;
  if (noise && labelCount < 2) throw new BadInputError('labelNoise', 'needs at least two classes');

  const flipped: Record<string, number> = {};
  const splits = {} as Record<SplitName, SplitPlan>;
  SPLIT_NAMES.forEach((name, k) => {
    const indices = Uint32Array.from(members[name].sort((a, b) => a - b));
    Rng.keyed(seed, 'order', name).shuffle(indices);
    indices.forEach((index, row) => {
      splitOf[index] = k;
      positionOf[index] = row;
    });
    const labels = Int16Array.from(indices, labelOf);
    if (noise && noise.splits.includes(name)) {
      const cleanLabels = Int16Array.from(labels);
      const count = corrupt(labels, noise.kind, noise.rate, labelCount, Rng.keyed(seed, 'label-noise', name));
      flipped[name] = count;
      splits[name] = { name, indices, labels, cleanLabels, flipped: count };
    } else {
      splits[name] = { name, indices, labels, flipped: 0 };
    }
  });
  if (noise) transforms.push({ kind: 'label-noise', noise: noise.kind, rate: noise.rate, flipped });

  for (const name of ['weak', 'transfer', 'test'] as const) {
    if (splits[name].indices.length === 0) {
      throw new BadInputError('splits', `the ${name} split would be empty (${total} examples); use more data or larger fractions`);
    }
  }
  if (pool > 0 && splits.pool.indices.length === 0) throw new BadInputError('splits.pool', `the pool split would be empty (${total} examples); use more data or a larger fraction`);
  return { splits, splitOf, positionOf, transforms, classes: kept };
}

/** The source classes a dataset keeps: those `classes` names (each one the source has), else all. */
function keptClasses(classes: readonly number[] | undefined, numClasses: number): readonly number[] {
  if (!classes) return Array.from({ length: numClasses }, (_, c) => c);
  const missing = classes.filter((c) => c >= numClasses);
  if (missing.length > 0) {
    throw new BadInputError('classes', `the source has classes 0..${numClasses - 1}; there is no class ${missing.join(', ')}`);
  }
  return classes;
}

/**
 * Per-class counts of one split's `fraction`, rounded so that the error
 * carries over to the next class: each class gets within one example of its
 * share, and the split's total over all classes stays as exact as rounding
 * allows, even for tiny classes (one example each still splits evenly).
 */
class DiffusedShare {
  private ideal = 0;
  private assigned = 0;

  constructor(private readonly fraction: number) {}

  /** How many of a class of `count` examples to take, at most `cap` (what earlier splits left). */
  next(count: number, cap: number): number {
    this.ideal += count * this.fraction;
    const take = Math.min(Math.max(Math.round(this.ideal) - this.assigned, 0), cap);
    this.assigned += take;
    return take;
  }
}

/** Changes exactly round(rate * n) labels in place; returns how many. */
function corrupt(labels: Int16Array, kind: 'symmetric' | 'pairwise', rate: number, numClasses: number, rng: Rng): number {
  const count = Math.round(labels.length * rate);
  const chosen = rng.permutation(labels.length).subarray(0, count);
  for (const row of chosen) {
    const label = labels[row]!;
    if (kind === 'pairwise') {
      labels[row] = (label + 1) % numClasses;
    } else {
      const other = rng.int(numClasses - 1);
      labels[row] = other >= label ? other + 1 : other;
    }
  }
  return count;
}
