/**
 * One entry per loss method: its own parameters with their defaults, its
 * traits, one-line errors for another method's fields, and the old flat
 * field names still read with a warning that names the new field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRunConfig } from '../../cli/config-file.js';
import { deprecatedLossFields, LOSS_METHODS, lossParameters, lossTraits, LossConfigSchema } from '../../schemas/losses.js';

const base = {
  name: 'losses',
  dataset: { source: '/nonexistent' },
  teacher: { model: 'linear', epochs: 1 },
  strong: { model: 'cnn', epochs: 1 },
};

test('each method has its own parameters, with defaults', () => {
  assert.deepEqual(LossConfigSchema.parse({ method: 'adaptconf' }), { method: 'adaptconf', theta: 0.5, temperature: 1, gtWeight: 0 });
  assert.deepEqual(LossConfigSchema.parse({ method: 'augconf' }), { method: 'augconf', finalAlpha: 0.5, rampFraction: 0.3, temperature: 1, gtWeight: 0 });
  assert.deepEqual(LossConfigSchema.parse({ method: 'kd', temperature: 4 }), { method: 'kd', temperature: 4, gtWeight: 0 });
  assert.deepEqual(LossConfigSchema.parse({ method: 'logconf' }), { method: 'logconf', auxCoef: 0.5, warmup: 0.1, gtWeight: 0 });
  assert.deepEqual(LossConfigSchema.parse({ method: 'hard', gtWeight: 1 }), { method: 'hard', gtWeight: 1 });
  assert.deepEqual(LossConfigSchema.parse({ method: 'ceiling' }), { method: 'ceiling' });
  assert.deepEqual(lossParameters('ceiling'), []);
});

test('traits: every method but the ceiling learns from the teacher; only the ceiling from ground truth alone', () => {
  for (const method of LOSS_METHODS) {
    assert.equal(lossTraits(method).needsTeacher, method !== 'ceiling', method);
    assert.equal(lossTraits(method).groundTruthOnly, method === 'ceiling', method);
  }
});

test("another method's field is refused with one line naming it, the method and what it takes", () => {
  const refused = (students: unknown[]) => {
    try {
      parseRunConfig('run.yaml', { ...base, students });
    } catch (error) {
      return (error as Error).message.split('\n').filter((line) => line.trim().startsWith('students'));
    }
    return assert.fail('the config was accepted');
  };
  assert.deepEqual(refused([{ method: 'hard', theta: 0.5 }]), ['  students.0.theta: "theta" is not a setting of loss method hard (it takes: gtWeight)']);
  assert.deepEqual(refused([{ method: 'ceiling', gtWeight: 1 }]), ['  students.0.gtWeight: "gtWeight" is not a setting of loss method ceiling (it takes: nothing)']);
  assert.deepEqual(refused([{ method: 'logconf', threshold: 0.5 }]), ['  students.0.threshold: "threshold" is not a setting of loss method logconf (it takes: auxCoef, warmup, gtWeight)']);
  assert.deepEqual(refused([{ method: 'adaptconf', theta: 0.5, threshold: 0.5 }]), ['  students.0.threshold: give theta only (threshold is its deprecated name)']);
  assert.throws(() => LossConfigSchema.parse({ method: 'kd', tempreature: 2 }), /tempreature\W{0,2} is not a setting of loss method kd \(it takes: temperature, gtWeight\)/);
});

test('the old field names are still read, with a warning that names the new field', () => {
  const warnings: string[] = [];
  const config = parseRunConfig(
    'run.yaml',
    { ...base, students: [{ method: 'adaptconf', threshold: 2 }, { method: 'augconf', threshold: 0.4, rate: 0.2, name: 'aug' }, { method: 'hard' }] },
    (line) => warnings.push(line),
  );
  assert.deepEqual(
    config.students.map(({ name: _name, ...loss }) => loss),
    [
      { method: 'adaptconf', theta: 2, temperature: 1, gtWeight: 0 },
      { method: 'augconf', finalAlpha: 0.4, rampFraction: 0.2, temperature: 1, gtWeight: 0 },
      { method: 'hard', gtWeight: 0 },
    ],
  );
  assert.deepEqual(warnings, [
    'run.yaml: students.0: threshold is deprecated for loss method adaptconf: use theta',
    'run.yaml: students.1: threshold is deprecated for loss method augconf: use finalAlpha',
    'run.yaml: students.1: rate is deprecated for loss method augconf: use rampFraction',
  ]);
  assert.deepEqual(deprecatedLossFields({ method: 'adaptconf', theta: 1 }), []);
  // A parsed config parses again to itself: the workflow's validate stage re-reads what the CLI submitted.
  assert.deepEqual(parseRunConfig('again', config, () => assert.fail('no warning for a parsed config')), config);
});
