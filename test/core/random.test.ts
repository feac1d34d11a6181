import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../core/random.js';

test('keyed generators are reproducible and independent per key', () => {
  const a = Rng.keyed(7, 'shuffle', 0);
  const b = Rng.keyed(7, 'shuffle', 0);
  const c = Rng.keyed(7, 'shuffle', 1);
  const seqA = Array.from({ length: 8 }, () => a.nextUint32());
  const seqB = Array.from({ length: 8 }, () => b.nextUint32());
  const seqC = Array.from({ length: 8 }, () => c.nextUint32());
  assert.deepEqual(seqA, seqB);
  assert.notDeepEqual(seqA, seqC);
});

test('state round-trips mid-stream', () => {
  const a = Rng.keyed(1, 'x');
  for (let i = 0; i < 5; i++) a.nextUint32();
  const resumed = Rng.fromState(a.state());
  assert.deepEqual(
    Array.from({ length: 5 }, () => resumed.nextUint32()),
    Array.from({ length: 5 }, () => a.nextUint32()),
  );
});

test('permutation holds every index once and int stays in range', () => {
  const rng = Rng.keyed(3, 'perm');
  const p = Array.from(rng.permutation(1000)).sort((x, y) => x - y);
  assert.deepEqual(p, Array.from({ length: 1000 }, (_, i) => i));
  const counts = new Array<number>(6).fill(0);
  for (let i = 0; i < 6000; i++) counts[rng.int(6)]!++;
  for (const n of counts) assert.ok(n > 850 && n < 1150, `biased die: ${counts}`);
});

test('normal draws have mean 0 and variance 1', () => {
  const rng = Rng.keyed(5, 'normal');
  let sum = 0;
  let sq = 0;
  const n = 20000;
  for (let i = 0; i < n; i++) {
    const z = rng.normal();
    sum += z;
    sq += z * z;
  }
  assert.ok(Math.abs(sum / n) < 0.03);
  assert.ok(Math.abs(sq / n - 1) < 0.05);
});
