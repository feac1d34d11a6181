/**
 * Contrastive pretraining: NT-Xent against a closed form and a float64
 * reference, the views' determinism under a seed and what each augmentation
 * does, and a few SimCLR steps on real Fashion-MNIST whose loss falls and
 * whose encoder moves into a student.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../core/random.js';
import { initBackend } from '../../ml/backend.js';
import { ArraySource } from '../../ml/data/array-source.js';
import { buildModel } from '../../ml/models/registry.js';
import { loadModel, serializeModel } from '../../ml/models/serialize.js';
import { pretrainContrastive, transferWeights, type ContrastiveOptions } from '../../ml/pretrain/contrastive.js';
import { ntXentLoss } from '../../ml/pretrain/nt-xent.js';
import { augmentView, contrastiveViews } from '../../ml/pretrain/views.js';
import { assertBackendsAgree, seededInput } from './helpers/backends-agree.js';
import { loadFashionMnist } from './helpers/fashion-mnist.js';
import { syntheticSource } from './helpers/synthetic.js';

/** NT-Xent written out in float64 loops, straight from the definition. */
function referenceNtXent(z1: number[][], z2: number[][], t: number): number {
  const z = [...z1, ...z2].map((v) => {
    const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    return v.map((x) => x / norm);
  });
  const n = z1.length;
  let total = 0;
  for (let i = 0; i < 2 * n; i++) {
    const sim = (k: number) => z[i]!.reduce((s, x, d) => s + x * z[k]![d]!, 0) / t;
    let denominator = 0;
    for (let k = 0; k < 2 * n; k++) if (k !== i) denominator += Math.exp(sim(k));
    total += -(sim((i + n) % (2 * n)) - Math.log(denominator));
  }
  return total / (2 * n);
}

test('NT-Xent equals its closed form on orthogonal pairs and a float64 reference on random projections', async () => {
  await initBackend();
  // Two images, views identical and orthogonal to the other image's: every anchor sees
  // its positive at similarity 1 and two negatives at 0, so l = log(e^(1/T) + 2) - 1/T.
  const pair = tf.tensor2d([[1, 0], [0, 1]]);
  for (const t of [0.5, 0.1]) {
    const loss = ntXentLoss(pair, pair, t);
    const want = Math.log(Math.exp(1 / t) + 2) - 1 / t;
    assert.ok(Math.abs(loss.dataSync()[0]! - want) < 1e-5 * Math.max(1, want), `T=${t}: ${loss.dataSync()[0]} vs ${want}`);
    loss.dispose();
  }
  pair.dispose();
  const rng = Rng.keyed(3, 'nt-xent');
  const random = (rows: number, cols: number) => Array.from({ length: rows }, () => Array.from({ length: cols }, () => rng.normal()));
  for (const [n, d, t] of [[4, 3, 0.5], [8, 16, 0.2], [1, 5, 1]] as const) {
    const [a, b] = [random(n, d), random(n, d)];
    const loss = ntXentLoss(tf.tensor2d(a), tf.tensor2d(b), t);
    const want = referenceNtXent(a, b, t);
    assert.ok(Math.abs(loss.dataSync()[0]! - want) < 1e-5 * Math.max(1, Math.abs(want)), `N=${n} d=${d} T=${t}: ${loss.dataSync()[0]} vs ${want}`);
    loss.dispose();
  }
});

test('NT-Xent and its gradient match on wasm and cpu', async () => {
  await assertBackendsAgree('nt-xent', () => {
    const [a, b] = [seededInput('ntx-a', [6, 8]), seededInput('ntx-b', [6, 8])];
    const loss = (p: tf.Tensor, q: tf.Tensor) => ntXentLoss(p as tf.Tensor2D, q as tf.Tensor2D, 0.5);
    return [loss(a, b), ...tf.grads(loss)([a, b])];
  });
});

test('views are a function of the seed: same seed same views on every backend, another seed other views', async () => {
  await initBackend();
  const x = seededInput('views-x', [6, 12, 12, 2]) as tf.Tensor4D;
  const viewsOf = async (seed: number) => {
    const [a, b] = contrastiveViews(x, {}, Rng.keyed(seed, 'views'));
    const out = [await a.data(), await b.data()];
    tf.dispose([a, b]);
    return out;
  };
  const [first, again, other] = [await viewsOf(1), await viewsOf(1), await viewsOf(2)];
  assert.deepEqual(again, first);
  assert.notDeepEqual(other[0], first[0]);
  assert.notDeepEqual(first[1], first[0], 'the two views of one step differ');
  x.dispose();
  await assertBackendsAgree('views', () => [...contrastiveViews(seededInput('views-x', [6, 12, 12, 2]) as tf.Tensor4D, {}, Rng.keyed(1, 'views'))]);
});

test('each augmentation does what it says: identity settings, flips, jitter, erasing', async () => {
  await initBackend();
  const x = seededInput('aug-x', [8, 10, 10, 1]) as tf.Tensor4D;
  const none = { cropScale: [1, 1] as [number, number], cropRatio: [1, 1] as [number, number], flip: false, brightness: 0, contrast: 0, eraseProbability: 0 };
  const same = augmentView(x, none, Rng.keyed(0, 'a'));
  assert.ok(tf.max(tf.abs(tf.sub(same, x))).dataSync()[0]! < 1e-5, 'no augmentation leaves the images as they are');
  const flipped = augmentView(x, { ...none, flip: true }, Rng.keyed(0, 'b'));
  const mirror = tf.reverse(x, 2);
  let mirrored = 0;
  for (let i = 0; i < 8; i++) {
    const gap = (t: tf.Tensor) => tf.max(tf.abs(tf.sub(flipped.slice(i, 1), t.slice(i, 1)))).dataSync()[0]!;
    const isMirror = gap(mirror) < 1e-5;
    assert.ok(isMirror || gap(x) < 1e-5, `image ${i} is the original or its mirror`);
    mirrored += isMirror ? 1 : 0;
  }
  assert.ok(mirrored > 0 && mirrored < 8, `some images mirrored, some not: ${mirrored} of 8`);
  const erased = augmentView(x, { ...none, eraseProbability: 1, eraseScale: [0.1, 0.1] }, Rng.keyed(0, 'c'));
  const zeros = (await tf.equal(erased, 0).sum().data())[0]!;
  assert.ok(zeros >= 8 * 5 && zeros <= 8 * 30, `each image loses a rectangle of about 10% of its pixels: ${zeros} zeros over 8 images`);
  const jittered = augmentView(x, { ...none, brightness: 0.5, contrast: 0.5 }, Rng.keyed(0, 'd'));
  // Contrast scales deviations from each image's mean, brightness shifts it: per image, y = c (x - m) + m + b.
  const xs = await x.data();
  const ys = await jittered.data();
  for (let i = 0; i < 8; i++) {
    const xi = Array.from(xs.subarray(i * 100, (i + 1) * 100));
    const yi = Array.from(ys.subarray(i * 100, (i + 1) * 100));
    const mx = xi.reduce((s, v) => s + v, 0) / 100;
    const my = yi.reduce((s, v) => s + v, 0) / 100;
    const c = (yi[0]! - my) / (xi[0]! - mx);
    assert.ok(c >= 0.5 - 1e-4 && c <= 1.5 + 1e-4 && Math.abs(my - mx) <= 0.5 + 1e-4, `image ${i}: contrast ${c}, shift ${my - mx}`);
    for (let p = 0; p < 100; p++) assert.ok(Math.abs(yi[p]! - (c * (xi[p]! - mx) + my)) < 1e-4);
  }
  tf.dispose([x, same, flipped, mirror, erased, jittered]);
});

test('SimCLR on real Fashion-MNIST images: the loss falls, and the encoder moves into a student but its classifier', async () => {
  await initBackend();
  const data = await loadFashionMnist();
  const count = 512;
  const source = new ArraySource({ images: data.train.images.subarray(0, count * 784), shape: data.shape, numClasses: 10, normalization: data.normalization });
  const result = await pretrainContrastive({ encoder: 'cnn-small', representationDim: 64, epochs: 3, batchSize: 64, seed: 1, stream: 'simclr-test', optimizer: { lr: 3e-3 }, source });
  assert.equal(result.completed, true);
  assert.equal(result.steps, 24);
  const [first, , last] = result.epochLosses as [number, number, number];
  // Chance level for 64 pairs: log(127) = 4.84.
  assert.ok(first < Math.log(2 * 64 - 1) + 0.1, `first epoch ${first}`);
  assert.ok(last < first - 0.2, `loss fell: ${result.epochLosses.join(' -> ')}`);
  const student = buildModel('cnn-small', { inputShape: data.shape, numClasses: 10, seed: 9 });
  assert.deepEqual(transferWeights(result.encoder, student), ['fc/weight', 'fc/bias']);
  const conv = student.params.get('conv1/filter')!.variable;
  assert.deepEqual(await conv.data(), await result.encoder.params.get('conv1/filter')!.variable.data());
  student.dispose();
  result.encoder.dispose();
});

test('pretraining stopped midway resumes from its checkpoint to the same encoder, bit for bit (batch norm, AdamW)', async () => {
  await initBackend();
  const options: ContrastiveOptions = {
    encoder: 'cnn',
    representationDim: 16,
    projectionDims: [16, 8],
    epochs: 2,
    batchSize: 8,
    seed: 4,
    stream: 'simclr-resume',
    source: syntheticSource({ size: 48, shape: [12, 12, 1], numClasses: 3, seed: 5 }),
  };
  const straight = await pretrainContrastive(options);
  const controller = new AbortController();
  let checkpoint: Uint8Array | undefined;
  const stopped = await pretrainContrastive({
    ...options,
    signal: controller.signal,
    onStep: ({ step }) => {
      if (step === 7) controller.abort();
    },
    onCheckpoint: (bytes) => {
      checkpoint = bytes;
    },
  });
  assert.equal(stopped.completed, false);
  assert.equal(stopped.steps, 7);
  const steps: number[] = [];
  const resumed = await pretrainContrastive({ ...options, resumeFrom: checkpoint!, onStep: ({ step }) => steps.push(step) });
  assert.deepEqual(steps, [8, 9, 10, 11, 12], 'only the remaining steps run');
  assert.deepEqual(resumed.epochLosses, straight.epochLosses);
  assert.ok(Buffer.from(serializeModel(resumed.encoder)).equals(Buffer.from(serializeModel(straight.encoder))), 'encoder weights and batch-norm statistics bit-identical');
  // The checkpoint is also a loadable encoder, and another setting refuses it.
  const fromCheckpoint = loadModel(checkpoint!, 'pretraining checkpoint');
  assert.equal(fromCheckpoint.name, 'cnn');
  fromCheckpoint.dispose();
  await assert.rejects(pretrainContrastive({ ...options, temperature: 0.1, resumeFrom: checkpoint! }), /different pretraining settings/);
  for (const r of [straight, stopped, resumed]) r.encoder.dispose();
});
