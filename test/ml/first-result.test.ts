/**
 * The first real result: on real Fashion-MNIST, a weak `linear` teacher
 * learns from the ground truth of W (10,000 images) and labels S (10,000
 * more); strong `cnn` students learn from those labels alone, with `hard`
 * and with AdaptConf; the AdaptConf student beats its teacher on the 10,000
 * test images, for each of three seeds.
 *
 * The size is the smallest of RESULTS.md's scale table where that holds for
 * every seed tried: below S = 10,000 images (two epochs) a from-scratch cnn
 * learns the teacher's function, mistakes included, and ends below it. Each
 * seed takes three to four minutes on two cores.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../ml/backend.js';
import { fashionMnistProtocol } from '../../ml/experiments/protocols.js';
import { runWeakToStrong, type WeakToStrongData } from '../../ml/experiments/weak-to-strong.js';
import { loadFashionMnist } from './helpers/fashion-mnist.js';

let data: WeakToStrongData;

before(async () => {
  await initBackend();
  data = await loadFashionMnist();
});

for (const seed of [0, 1, 2]) {
  test(`Fashion-MNIST, seed ${seed}: the AdaptConf student beats its weak teacher, learning from its labels alone`, async () => {
    const config = fashionMnistProtocol({ seed, trainSize: 20000, weakEpochs: 5, strongEpochs: 2, batchSize: 64, methods: ['hard', 'adaptconf'] });
    const tensorsBefore = tf.memory().numTensors;
    const result = await runWeakToStrong(data, config);
    assert.deepEqual(result.sizes, { weak: 10000, strong: 10000, test: 10000 });

    const weak = result.weak.accuracy;
    assert.ok(weak > 0.75 && weak < 0.88, `softmax regression on 10,000 images scores about 0.83, got ${weak}`);

    const adaptconf = result.students.find((s) => s.method === 'adaptconf')!;
    assert.ok(adaptconf.accuracy > weak, `AdaptConf student ${adaptconf.accuracy} beats its weak teacher ${weak}`);

    for (const student of result.students) {
      const { name, accuracy, agreementWithTeacher, history } = student;
      assert.ok(accuracy > 0.75, `${name} learns the task from weak labels (chance is 0.1): ${accuracy}`);
      assert.ok(agreementWithTeacher > accuracy, `${name} learns from the teacher, not the truth: agreement ${agreementWithTeacher}, accuracy ${accuracy}`);
      assert.ok(history.every((epoch) => epoch.trainAccuracy === undefined), `${name} never saw S's ground truth`);
    }
    for (const epoch of adaptconf.history) {
      const { total, kd, align, alpha } = epoch.loss;
      assert.ok(Math.abs(kd! + align! - total!) < 1e-4, 'AdaptConf is its distillation plus confidence terms');
      assert.ok(alpha! > 0 && alpha! < 1, `the adaptive weight is a proper mixture: ${alpha}`);
    }
    assert.equal(tf.memory().numTensors, tensorsBefore, 'every model and batch is disposed');
  });
}
