import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../ml/backend.js';
import { isBadInputError } from '../../core/errors.js';
import { Rng } from '../../core/random.js';
import { buildModel } from '../../ml/models/registry.js';
import { loadModel, serializeModel } from '../../ml/models/serialize.js';
import { decodeTensorFile, encodeTensorFile } from '../../ml/nn/tensor-file.js';
import { ParamRegistry, ParamScope } from '../../ml/nn/params.js';
import { zeros } from '../../ml/nn/init.js';
import { augmentBatch } from '../../ml/train/augment.js';
import { createOptimizer } from '../../ml/train/optimizers.js';
import { predictLogits } from '../../ml/train/predict.js';
import { learningRateAt } from '../../ml/train/schedule.js';
import { OptimizerConfigSchema, ScheduleConfigSchema, type OptimizerConfig } from '../../schemas/training.js';
import { syntheticSource } from './helpers/synthetic.js';

/** PyTorch's update rules in float64, one parameter vector at a time. */
function referenceSteps(config: OptimizerConfig, start: number[], grads: number[][], lrs: number[]): number[] {
  const p = [...start];
  const a = p.map(() => 0);
  const b = p.map(() => 0);
  grads.forEach((grad, t) => {
    const lr = lrs[t]!;
    const step = t + 1;
    for (let i = 0; i < p.length; i++) {
      let g = grad[i]!;
      if (config.name === 'sgd') {
        g += config.weightDecay * p[i]!;
        a[i] = config.momentum * a[i]! + g;
        p[i]! -= lr * (config.nesterov ? g + config.momentum * a[i]! : a[i]!);
      } else {
        if (config.name === 'adamw') p[i]! *= 1 - lr * config.weightDecay;
        else g += config.weightDecay * p[i]!;
        a[i] = config.beta1 * a[i]! + (1 - config.beta1) * g;
        b[i] = config.beta2 * b[i]! + (1 - config.beta2) * g * g;
        const mHat = a[i]! / (1 - config.beta1 ** step);
        const vHat = b[i]! / (1 - config.beta2 ** step);
        p[i]! -= (lr * mHat) / (Math.sqrt(vHat) + config.epsilon);
      }
    }
  });
  return p;
}

test('SGD, Nesterov, Adam and AdamW follow the PyTorch update rules', async () => {
  await initBackend();
  const start = [0.5, -1, 2, 0.01];
  const grads = [
    [0.1, -0.2, 0.3, 0],
    [-0.5, 0.4, 0.05, 1],
    [0.2, 0.2, -0.7, -0.3],
  ];
  const lrs = [0.1, 0.05, 0.02];
  const configs = [
    { name: 'sgd', momentum: 0.9, weightDecay: 5e-4 },
    { name: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 1e-2 },
    { name: 'adam', weightDecay: 1e-3 },
    { name: 'adamw', weightDecay: 0.05, beta1: 0.8 },
  ].map((c) => OptimizerConfigSchema.parse(c));
  for (const config of configs) {
    const registry = new ParamRegistry(0);
    const param = new ParamScope(registry).param('w', [4], zeros);
    param.assign(tf.tensor1d(start));
    // Flattened on every backend, where the pipeline does so only on the native one: this is the form under test.
    const optimizer = createOptimizer(config, registry.trainable(), true);
    grads.forEach((g, t) => {
      const grad = tf.tensor1d(g);
      optimizer.apply(new Map([['w', grad]]), lrs[t]!, t + 1);
      grad.dispose();
    });
    const want = referenceSteps(config, start, grads, lrs);
    const got = await param.data();
    want.forEach((w, i) => assert.ok(Math.abs(got[i]! - w) < 1e-5 * (1 + Math.abs(w)), `${config.name} nesterov=${config.nesterov}: [${i}] ${got[i]} vs ${w}`));
    assert.deepEqual(optimizer.slots.map((s) => s.name), config.name === 'sgd' ? ['w/momentum'] : ['w/m', 'w/v']);
    optimizer.dispose();
    registry.dispose();
  }
});

test('the update over all parameters at once is each parameter updated alone, bit for bit; a parameter without a gradient is left as it is', async () => {
  await initBackend();
  // `wide` is large enough to be updated alone, the rest together.
  const shapes: Record<string, number[]> = { conv: [3, 3, 2, 4], bias: [4], dense: [5, 3], wide: [256, 256], frozen: [2, 2] };
  const rng = Rng.keyed(7, 'flat-optimizer');
  const values = (shape: number[]) => Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal());
  const starts = Object.fromEntries(Object.entries(shapes).map(([name, shape]) => [name, values(shape)]));
  const grads = [0, 1, 2].map(() => Object.fromEntries(Object.entries(shapes).map(([name, shape]) => [name, values(shape)])));
  const build = (names: string[]) => {
    const registry = new ParamRegistry(0);
    const scope = new ParamScope(registry);
    for (const name of names) scope.param(name, shapes[name]!, zeros).assign(tf.tensor(starts[name]!, shapes[name]));
    return registry;
  };
  const run = async (config: OptimizerConfig, names: string[], withGradient: (name: string) => boolean) => {
    const registry = build(names);
    // Flattened on every backend, where the pipeline does so only on the native one: this is the form under test.
    const optimizer = createOptimizer(config, registry.trainable(), true);
    grads.forEach((step, t) => {
      const named = new Map(names.filter(withGradient).map((name) => [name, tf.tensor(step[name]!, shapes[name])] as const));
      optimizer.apply(named, 0.05, t + 1);
      tf.dispose([...named.values()]);
    });
    const out = new Map<string, Float32Array>();
    for (const { name, variable } of [...registry.trainable(), ...optimizer.slots]) out.set(name, Float32Array.from(await variable.data()));
    optimizer.dispose();
    registry.dispose();
    return out;
  };
  for (const c of [{ name: 'sgd', momentum: 0.9, weightDecay: 5e-4 }, { name: 'sgd', momentum: 0.9, nesterov: true }, { name: 'adam', weightDecay: 1e-3 }, { name: 'adamw', weightDecay: 0.05 }]) {
    const config = OptimizerConfigSchema.parse(c);
    const together = await run(config, Object.keys(shapes), (name) => name !== 'frozen');
    for (const name of ['conv', 'bias', 'dense', 'wide']) {
      const alone = await run(config, [name], () => true);
      for (const [slot, want] of alone) assert.deepEqual(together.get(slot), want, `${config.name}: ${slot}`);
    }
    assert.deepEqual(together.get('frozen'), starts.frozen, `${config.name}: a parameter without a gradient changed`);
    assert.ok(together.get(config.name === 'sgd' ? 'frozen/momentum' : 'frozen/m')!.every((v) => v === 0), `${config.name}: its slot changed`);
  }
});

test('learning rate: linear warm-up, cosine to the floor, or constant', () => {
  const context = { baseLr: 0.1, stepsPerEpoch: 10, totalSteps: 100 };
  const cosine = ScheduleConfigSchema.parse({ name: 'cosine', warmupEpochs: 2, minLrFraction: 0.1 });
  assert.ok(Math.abs(learningRateAt(cosine, context, 0) - 0.1 / 20) < 1e-12);
  assert.ok(Math.abs(learningRateAt(cosine, context, 19) - 0.1) < 1e-12);
  assert.ok(Math.abs(learningRateAt(cosine, context, 20) - 0.1) < 1e-12);
  assert.ok(Math.abs(learningRateAt(cosine, context, 60) - (0.01 + 0.09 * 0.5)) < 1e-12, 'half-way through the decay');
  assert.ok(learningRateAt(cosine, context, 99) > 0.01 && learningRateAt(cosine, context, 99) < 0.0102);
  for (let s = 21; s < 100; s++) assert.ok(learningRateAt(cosine, context, s) < learningRateAt(cosine, context, s - 1));
  const constant = ScheduleConfigSchema.parse({ name: 'constant' });
  assert.equal(learningRateAt(constant, context, 73), 0.1);
});

test('crop-and-flip picks one padded window per image, reproducibly per key', async () => {
  await initBackend();
  const [n, h, w] = [16, 5, 4];
  const x = tf.tensor4d(Float32Array.from({ length: n * h * w * 2 }, (_, i) => i + 1), [n, h, w, 2]);
  const config = { cropPadding: 2, flip: true };
  const out = augmentBatch(x, config, Rng.keyed(1, 's', 'augment', 0, 0));
  const same = augmentBatch(x, config, Rng.keyed(1, 's', 'augment', 0, 0));
  const other = augmentBatch(x, config, Rng.keyed(1, 's', 'augment', 0, 1));
  assert.deepEqual(await out.data(), await same.data());
  assert.notDeepEqual(await out.data(), await other.data());
  const src = (await x.data()) as Float32Array;
  const got = (await out.data()) as Float32Array;
  const windows = new Set<string>();
  for (let b = 0; b < n; b++) {
    const matches: string[] = [];
    for (let dy = 0; dy <= 4; dy++) {
      for (let dx = 0; dx <= 4; dx++) {
        for (const flip of [false, true]) {
          let equal = true;
          for (let i = 0; i < h && equal; i++) {
            for (let j = 0; j < w && equal; j++) {
              const sy = i + dy - 2;
              const sx = (flip ? w - 1 - j : j) + dx - 2;
              for (let c = 0; c < 2 && equal; c++) {
                const expected = sy >= 0 && sy < h && sx >= 0 && sx < w ? src[((b * h + sy) * w + sx) * 2 + c]! : 0;
                equal = got[((b * h + i) * w + j) * 2 + c] === expected;
              }
            }
          }
          if (equal) matches.push(`${dy},${dx},${flip}`);
        }
      }
    }
    assert.ok(matches.length >= 1, `image ${b} is a padded crop (or its mirror) of the input`);
    windows.add(matches[0]!);
  }
  assert.ok(windows.size > 4, `offsets vary across the batch: ${[...windows]}`);
  const plain = augmentBatch(x, { cropPadding: 0, flip: false }, Rng.keyed(1, 'x'));
  assert.deepEqual(await plain.data(), src);
  tf.dispose([x, out, same, other, plain]);
});

test('tensor files round-trip and name what is wrong with damaged bytes', () => {
  const values = Float32Array.from([1.5, -2, 3.25, 1e-30, 7, 0]);
  const bytes = encodeTensorFile({ hello: 'world' }, [
    { name: 'a/b', shape: [2, 3], values },
    { name: 'c', shape: [1], values: Float32Array.from([42]) },
  ]);
  assert.equal(new TextDecoder().decode(bytes.subarray(0, 8)), 'W2SBNDL1');
  const decoded = decodeTensorFile(bytes, 'x.bin');
  assert.deepEqual(decoded.meta, { hello: 'world' });
  assert.deepEqual(decoded.tensors.get('a/b')!.values, values);
  assert.deepEqual(decoded.tensors.get('a/b')!.shape, [2, 3]);
  assert.deepEqual(decoded.tensors.get('c')!.values, Float32Array.from([42]));
  assert.throws(() => decodeTensorFile(bytes.subarray(0, bytes.length - 4), 'x.bin'), (e: unknown) => isBadInputError(e) && /x\.bin: tensor c runs past the end/.test((e as Error).message));
  assert.throws(() => decodeTensorFile(new TextEncoder().encode('PK\u0003\u0004 not ours'), 'y.zip'), (e: unknown) => isBadInputError(e) && /y\.zip: not a w2s tensor file/.test((e as Error).message));
});

test('serialised models reload with the same logits; mismatches are named', async () => {
  await initBackend();
  const model = buildModel('resnet20', { inputShape: [12, 12, 3], numClasses: 5, seed: 4 });
  // Move the batch-norm statistics away from their initial values, so that they must travel too.
  for (const p of model.params.state()) p.variable.assign(tf.randomUniform(p.variable.shape, 0.5, 1.5, 'float32', 3));
  const x = tf.randomNormal([3, 12, 12, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
  const bytes = serializeModel(model);
  const copy = loadModel(bytes);
  assert.equal(copy.name, 'resnet20');
  const [a, b] = [model.apply(x, { training: false }), copy.apply(x, { training: false })];
  assert.deepEqual(await b.data(), await a.data());
  const other = buildModel('resnet20', { inputShape: [12, 12, 3], numClasses: 5, seed: 4 });
  const c = other.apply(x, { training: false });
  assert.notDeepEqual(await c.data(), await a.data(), 'the statistics changed the output, so they were loaded');

  const header = decodeTensorFile(bytes, 'm').meta as { model: { numClasses: number } };
  const tensors = [...decodeTensorFile(bytes, 'm').tensors.values()];
  const wrong = encodeTensorFile({ ...header, model: { ...header.model, numClasses: 6 } }, tensors);
  assert.throws(() => loadModel(wrong, 'teacher.bin'), (e: unknown) => isBadInputError(e) && /teacher\.bin: parameter fc\/weight has shape \[64, 5\], model resnet20 expects \[64, 6\]/.test((e as Error).message));
  tf.dispose([x, a, b, c]);
  for (const m of [model, copy, other]) m.dispose();
});

test('predictLogits gives the same logits for a tensor and a source, in source order', async () => {
  await initBackend();
  const source = syntheticSource({ size: 11, shape: [8, 8, 1], numClasses: 3, seed: 1 });
  const model = buildModel('cnn-small', { inputShape: [8, 8, 1], numClasses: 3, seed: 0 });
  const before = tf.memory().numTensors;
  const fromSource = await predictLogits(model, source, { batchSize: 4 });
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual([...fromSource.index], Array.from({ length: 11 }, (_, i) => i));
  assert.equal(fromSource.labels!.length, 11);
  let all: tf.Tensor4D | undefined;
  for await (const batch of source.batches({ epoch: 0, batchSize: 11, seed: 0, stream: 'x', shuffle: false, dropLast: false })) {
    all = batch.x;
    batch.labels?.dispose();
  }
  const fromTensor = await predictLogits(model, all!, { batchSize: 5 });
  assert.deepEqual(fromTensor.shape, [11, 3]);
  const t = await fromTensor.data();
  fromSource.logits.forEach((v, i) => assert.ok(Math.abs(v - t[i]!) < 1e-5));
  tf.dispose([all!, fromTensor]);
  model.dispose();
});
