/**
 * examples/quickstart.yaml is the quickstart's job as a file users edit (and
 * RESULTS.md's variants start from), and the one copy of it: the `quick`
 * preset `w2s quickstart` runs is that file with the command's data,
 * storage root and seed, and nothing else.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readRunConfig } from '../../cli/config-file.js';
import { presetConfig } from '../../cli/preset-files.js';
import { QUICKSTART_FILE } from '../../cli/presets.js';

test('the quick preset is examples/quickstart.yaml with the data, storage and seed given', () => {
  const file = readRunConfig(QUICKSTART_FILE);
  const preset = presetConfig('quick', { data: '/data/fm', storage: 'gs://bucket/w2s', seed: 7 });
  assert.deepEqual(preset, { ...file, seed: 7, storage: 'gs://bucket/w2s', dataset: { ...file.dataset, source: '/data/fm' } });
  assert.equal(file.name, 'quickstart');
  assert.deepEqual(file.students.map((s) => s.method), ['ceiling', 'hard', 'adaptconf']);
});
