import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attributeIdle, coveredMs, mergeSpans } from '../../bench/timeline.js';

test('overlapping and touching spans merge into disjoint ones; empty and inverted spans vanish', () => {
  const merged = mergeSpans([
    { start: 5, end: 8 },
    { start: 0, end: 2 },
    { start: 1, end: 3 },
    { start: 3, end: 4 },
    { start: 6, end: 6 },
    { start: 10, end: 9 },
  ]);
  assert.deepEqual(merged, [
    { start: 0, end: 4 },
    { start: 5, end: 8 },
  ]);
  assert.equal(coveredMs([{ start: 0, end: 10 }, { start: 2, end: 3 }, { start: 20, end: 25 }]), 15);
});

test('overlapping compute counts once and the idle remainder is charged by precedence, the rest to the fallback', () => {
  const window = { start: 0, end: 100 };
  const compute = [
    { start: 10, end: 40 },
    { start: 30, end: 60 },
    { start: 90, end: 95 },
  ];
  const labelled = [
    { label: 'dispatch', start: 5, end: 10 },
    // Overlaps dispatch on 5..10 and compute on 10..40: only 0..5 is left for it.
    { label: 'queued', start: 0, end: 20 },
    { label: 'record', start: 60, end: 70 },
  ];
  const result = attributeIdle(window, compute, labelled, 'workflow');
  assert.equal(result.computeMs, 55);
  assert.equal(result.idleMs, 45);
  assert.deepEqual(result.byLabel, { queued: 5, dispatch: 5, record: 10, workflow: 25 });
  const charged = Object.values(result.byLabel).reduce((a, b) => a + b, 0);
  assert.equal(charged, result.idleMs);
});

test('spans outside the window are clipped to it', () => {
  const result = attributeIdle({ start: 100, end: 200 }, [{ start: 50, end: 150 }], [{ label: 'tail', start: 180, end: 300 }], 'other');
  assert.equal(result.computeMs, 50);
  assert.deepEqual(result.byLabel, { other: 30, tail: 20 });
});

test('a window that ends before it starts is refused', () => {
  assert.throws(() => attributeIdle({ start: 5, end: 1 }, [], [], 'other'), /window ends \(1\) before it starts \(5\)/);
});
