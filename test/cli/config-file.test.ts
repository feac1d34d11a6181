import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runWorldProblems } from '../../storage/run-checks.js';
import { readRunConfig } from '../../cli/config-file.js';
import { configRuleProblems, studentTrainConfig, teacherTrainConfig } from '../../schemas/plan.js';

const examples = join(dirname(dirname(dirname(dirname(fileURLToPath(import.meta.url))))), 'examples');

test('every example config parses, and names only known models', async () => {
  const files = (await readdir(examples)).filter((f) => f.endsWith('.yaml'));
  assert.ok(files.length >= 3);
  for (const file of files) {
    const config = readRunConfig(join(examples, file));
    const problems = [...configRuleProblems(config), ...runWorldProblems(config)].filter((p) => !p.startsWith('dataset.source'));
    assert.deepEqual(problems, [], file);
  }
});

test('students inherit the strong settings, override them, and get loss defaults', async () => {
  const config = readRunConfig(join(examples, 'fashion-mnist.yaml'));
  const adaptconf = config.students.find((s) => s.method === 'adaptconf');
  assert.ok(adaptconf);
  const train = studentTrainConfig(config, { ...adaptconf, epochs: 9 });
  assert.equal(train.model, 'cnn');
  assert.equal(train.epochs, 9);
  assert.equal(train.optimizer.weightDecay, 5e-4);
  assert.deepEqual(train.loss, { method: 'adaptconf', theta: 0.5, temperature: 1, gtWeight: 0 });
  assert.equal(teacherTrainConfig(config).loss.method, 'ceiling');
});

test('a config with several mistakes reports each with its path', async () => {
  const file = join(await mkdtemp(join(tmpdir(), 'w2s-config-')), 'bad.yaml');
  await writeFile(file, 'name: Bad Name\ndataset: { source: x, splits: { weak: 0 } }\nteacher: { model: linear, epochs: 0 }\nstrong: { model: cnn, epochs: 1, lr: 3 }\nstudents: []\n');
  assert.throws(
    () => readRunConfig(file),
    (error: Error) =>
      /bad\.yaml/.test(error.message) &&
      /name: use lower-case/.test(error.message) &&
      /teacher\.epochs/.test(error.message) &&
      /strong: Unrecognized key.*lr/.test(error.message) &&
      /students: /.test(error.message),
  );
});

test('a typo gets a "did you mean", and a bad loss method or option is echoed', async () => {
  const file = join(await mkdtemp(join(tmpdir(), 'w2s-config-')), 'typos.yaml');
  await writeFile(
    file,
    'name: typos\ndataset: { source: x, fromat: idx }\nteacher: { model: linear, epochs: 1, optimizer: { name: sgdd } }\nstrong: { model: cnn, epoch: 1 }\nstudnets: []\nstudents: [{ method: adaptconff }]\n',
  );
  assert.throws(
    () => readRunConfig(file),
    (error: Error) => {
      assert.match(error.message, /^ {2}dataset: Unrecognized key: "fromat"; did you mean "format"\?$/m);
      assert.match(error.message, /^ {2}strong: Unrecognized key: "epoch"; did you mean "epochs"\?$/m);
      assert.match(error.message, /^ {2}\(top level\): Unrecognized key: "studnets"; did you mean "students"\?$/m);
      assert.match(error.message, /^ {2}students\.0\.method: "adaptconff" is not one of ceiling, hard, kd, augconf, adaptconf, logconf; did you mean "adaptconf"\?$/m);
      assert.match(error.message, /^ {2}teacher\.optimizer\.name: .*got "sgdd"; did you mean "sgd"\?$/m);
      return true;
    },
  );
});
