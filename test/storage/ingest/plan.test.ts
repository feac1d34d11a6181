import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IngestOptionsSchema, SPLIT_NAMES, type IngestOptionsInput } from '../../../schemas/manifest.js';
import { planSplits } from '../../../storage/ingest/plan.js';

/** 10 classes, `perClass` examples each, interleaved. */
function labels(perClass: number, classes = 10): Int16Array {
  return Int16Array.from({ length: perClass * classes }, (_, i) => i % classes);
}

/** `test: null` plans a source without a test set of its own. */
function plan(options: IngestOptionsInput, seed = 0, train = labels(100), test: Int16Array | null = labels(20)) {
  return planSplits({ trainLabels: train, ...(test ? { testLabels: test } : {}), numClasses: 10, options: IngestOptionsSchema.parse(options), seed });
}

function countsOf(values: Int16Array): number[] {
  const counts = new Array<number>(10).fill(0);
  for (const v of values) counts[v]!++;
  return counts;
}

test('splits are stratified, disjoint, complete, and a pure function of the seed', () => {
  const a = plan({ splits: { weak: 0.3, transfer: 0.5, validation: 0.2 } });
  assert.deepEqual(countsOf(a.splits.weak.labels), new Array(10).fill(30));
  assert.deepEqual(countsOf(a.splits.transfer.labels), new Array(10).fill(50));
  assert.deepEqual(countsOf(a.splits.validation.labels), new Array(10).fill(20));
  assert.deepEqual(countsOf(a.splits.test.labels), new Array(10).fill(20));
  const all = SPLIT_NAMES.flatMap((s) => Array.from(a.splits[s].indices)).sort((x, y) => x - y);
  assert.deepEqual(all, Array.from({ length: 1200 }, (_, i) => i));
  // The source's own test set is the test split, untouched by the seed.
  assert.deepEqual(Array.from(a.splits.test.indices).sort((x, y) => x - y), Array.from({ length: 200 }, (_, i) => 1000 + i));
  // splitOf / positionOf invert the split lists.
  SPLIT_NAMES.forEach((name, k) => a.splits[name].indices.forEach((index, row) => {
    assert.equal(a.splitOf[index], k);
    assert.equal(a.positionOf[index], row);
  }));

  const again = plan({ splits: { weak: 0.3, transfer: 0.5, validation: 0.2 } });
  assert.deepEqual(again.splits.weak.indices, a.splits.weak.indices);
  const other = plan({ splits: { weak: 0.3, transfer: 0.5, validation: 0.2 } }, 1);
  assert.notDeepEqual(other.splits.weak.indices, a.splits.weak.indices);
  // The order inside a split is shuffled, not the source order.
  const sorted = Array.from(a.splits.weak.indices).sort((x, y) => x - y);
  assert.notDeepEqual(Array.from(a.splits.weak.indices), sorted);
});

test('without its own test set, the source gives up splits.test of each class first', () => {
  const p = plan({ splits: { weak: 0.5, transfer: 0.5, test: 0.25 } }, 3, labels(40), null);
  assert.deepEqual(countsOf(p.splits.test.labels), new Array(10).fill(10));
  assert.deepEqual(countsOf(p.splits.weak.labels), new Array(10).fill(15));
  assert.deepEqual(countsOf(p.splits.transfer.labels), new Array(10).fill(15));
});

test('few-shot keeps N per class in the training splits only', () => {
  const p = plan({ fewShot: { perClass: 7 } });
  assert.deepEqual(countsOf(p.splits.weak.labels), new Array(10).fill(7));
  assert.deepEqual(countsOf(p.splits.transfer.labels), new Array(10).fill(7));
  assert.equal(p.splits.test.indices.length, 200);
  assert.equal(p.splitOf.filter((s) => s === -1).length, 1000 - 140, 'the rest is dropped');
  assert.deepEqual(p.transforms, [{ kind: 'subsample', perClass: 7, splits: ['weak', 'transfer'] }]);
});

test('a few-shot teacher: only the named split is cut, the students keep all of theirs', () => {
  const p = plan({ fewShot: { perClass: 3, splits: ['weak'] } });
  assert.deepEqual(countsOf(p.splits.weak.labels), new Array(10).fill(3));
  assert.deepEqual(countsOf(p.splits.transfer.labels), new Array(10).fill(50));
  assert.deepEqual(p.transforms, [{ kind: 'subsample', perClass: 3, splits: ['weak'] }]);
  const full = plan({});
  const kept = new Set(full.splits.weak.indices);
  assert.ok([...p.splits.weak.indices].every((i) => kept.has(i)), 'the few-shot examples are drawn from the same W');
});

test('symmetric noise changes exactly rate * n training labels, each to another class', () => {
  const p = plan({ labelNoise: { kind: 'symmetric', rate: 0.2 } }, 5);
  for (const name of ['weak', 'transfer'] as const) {
    const split = p.splits[name];
    assert.ok(split.cleanLabels);
    let changed = 0;
    split.labels.forEach((label, row) => {
      const clean = split.cleanLabels![row]!;
      assert.equal(clean, split.indices[row]! % 10, 'clean labels are the source labels');
      if (label !== clean) changed++;
    });
    assert.equal(changed, 100);
    assert.equal(split.flipped, 100);
    // New labels spread over the other classes rather than one.
    const targets = new Set(Array.from(split.labels).filter((label, row) => label !== split.cleanLabels![row]));
    assert.ok(targets.size >= 8, `targets ${[...targets]}`);
  }
  assert.equal(p.splits.test.cleanLabels, undefined);
  assert.deepEqual(Array.from(p.splits.test.labels), Array.from(p.splits.test.indices, (i) => (i - 1000) % 10));
  assert.deepEqual(p.transforms, [{ kind: 'label-noise', noise: 'symmetric', rate: 0.2, flipped: { weak: 100, transfer: 100 } }]);
});

test('pairwise noise maps class c to c+1 and can be limited to some splits', () => {
  const p = plan({ labelNoise: { kind: 'pairwise', rate: 0.4, splits: ['weak'] } }, 2);
  const weak = p.splits.weak;
  let changed = 0;
  weak.labels.forEach((label, row) => {
    const clean = weak.cleanLabels![row]!;
    if (label !== clean) {
      changed++;
      assert.equal(label, (clean + 1) % 10);
    }
  });
  assert.equal(changed, 200);
  assert.equal(p.splits.transfer.cleanLabels, undefined);
  assert.throws(() => IngestOptionsSchema.parse({ labelNoise: { kind: 'pairwise', rate: 0.4, splits: ['test'] } }), /never touches the test split/);
});

test('tiny classes still split evenly and never overlap', () => {
  for (const [weak, transfer] of [[0.5, 0.5], [0.49, 0.51], [0.3, 0.3]] as const) {
    const p = planSplits({
      trainLabels: Int16Array.from({ length: 100 }, (_, i) => i),
      testLabels: Int16Array.from({ length: 10 }, (_, i) => i),
      numClasses: 100,
      options: IngestOptionsSchema.parse({ splits: { weak, transfer } }),
      seed: 0,
    });
    assert.equal(p.splits.weak.indices.length, Math.round(100 * weak), `weak ${weak}`);
    assert.equal(p.splits.transfer.indices.length, Math.round(100 * transfer), `transfer ${transfer}`);
    const taken = [...p.splits.weak.indices, ...p.splits.transfer.indices];
    assert.equal(new Set(taken).size, taken.length);
  }
});

test('classes keeps only the named classes, train and test alike, relabelled by their position in the list', () => {
  const train = labels(100);
  const test = labels(20);
  const p = plan({ classes: [7, 5, 9] }, 0, train, test);
  const sourceLabel = (index: number) => (index < train.length ? train[index]! : test[index - train.length]!);
  for (const name of SPLIT_NAMES) {
    const split = p.splits[name];
    split.indices.forEach((index, row) => assert.equal(split.labels[row], [7, 5, 9].indexOf(sourceLabel(index)), `${name} row ${row}`));
  }
  assert.deepEqual(countsOf(p.splits.test.labels), [20, 20, 20, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(p.splits.weak.indices.length + p.splits.transfer.indices.length, 300);
  // Every example of another class is dropped.
  p.splitOf.forEach((split, index) => assert.equal(split >= 0, [7, 5, 9].includes(sourceLabel(index)), `example ${index}`));
  assert.deepEqual(p.classes, [7, 5, 9]);
  assert.deepEqual(p.transforms, [{ kind: 'classes', keep: [7, 5, 9] }]);
  // A kept class splits exactly as it does with every class kept.
  const all = plan({}, 0, train, test);
  const ofClass7 = (indices: Uint32Array) => Array.from(indices).filter((i) => sourceLabel(i) === 7).sort((a, b) => a - b);
  assert.deepEqual(ofClass7(p.splits.weak.indices), ofClass7(all.splits.weak.indices));
});

test('classes the source lacks, repeated or fewer than two are refused, naming the field', () => {
  assert.throws(() => plan({ classes: [3, 10, 12] }), /classes: the source has classes 0\.\.9; there is no class 10, 12/);
  assert.throws(() => IngestOptionsSchema.parse({ classes: [3, 3] }), /each class at most once/);
  assert.throws(() => IngestOptionsSchema.parse({ classes: [3] }), /at least two classes/);
});

test('the pool is cut first, the same images whatever the seed, disjoint from every other split; without it nothing moves', () => {
  const options = { splits: { weak: 0.2, transfer: 0.3, validation: 0.1, pool: 0.4 } };
  const [a, b] = [plan(options, 0), plan(options, 1)];
  // Every fraction is of the training examples, the pool's included.
  for (const [name, perClass] of [['pool', 40], ['weak', 20], ['transfer', 30], ['validation', 10]] as const) {
    assert.deepEqual(countsOf(a.splits[name].labels), new Array(10).fill(perClass), name);
  }
  const sorted = (values: Uint32Array) => Array.from(values).sort((x, y) => x - y);
  assert.deepEqual(sorted(a.splits.pool.indices), sorted(b.splits.pool.indices), 'one pool for every seed');
  assert.notDeepEqual(sorted(a.splits.weak.indices), sorted(b.splits.weak.indices), 'the other splits still follow the seed');
  const pool = new Set(a.splits.pool.indices);
  for (const name of ['weak', 'transfer', 'validation', 'test'] as const) {
    assert.ok(Array.from(a.splits[name].indices).every((index) => !pool.has(index)), `${name} shares no image with the pool`);
  }
  // A plan without a pool is the plan it always was: the pool's draw is skipped, not folded into the others.
  const without = plan({ splits: { weak: 0.2, transfer: 0.3, validation: 0.1 } });
  assert.equal(without.splits.pool.indices.length, 0);
  assert.deepEqual(countsOf(without.splits.weak.labels), new Array(10).fill(20));
  assert.throws(() => IngestOptionsSchema.parse({ splits: { weak: 0.5, transfer: 0.3, pool: 0.3 } }), /weak \+ transfer \+ validation \+ pool must be at most 1/);

  // Without a test set of its own, the test split is held out first and the fractions are of the rest.
  const own = plan({ splits: { weak: 0.25, transfer: 0.25, pool: 0.5, test: 0.2 } }, 0, labels(100), null);
  for (const [name, perClass] of [['test', 20], ['pool', 40], ['weak', 20], ['transfer', 20]] as const) {
    assert.deepEqual(countsOf(own.splits[name].labels), new Array(10).fill(perClass), `${name}, no test set of its own`);
  }
});
