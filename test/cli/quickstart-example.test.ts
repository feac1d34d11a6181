/**
 * examples/quickstart.yaml is the quickstart's job as a file users edit (and
 * RESULTS.md's variants start from): it must parse to exactly the config
 * `w2s quickstart` runs, or the variants measured against it would measure
 * something else.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { parseRunConfig, readRunConfig } from '../../cli/config-file.js';
import { FASHION_MNIST, PRESETS } from '../../cli/presets.js';

const EXAMPLE = fileURLToPath(new URL('../../../examples/quickstart.yaml', import.meta.url));

test('examples/quickstart.yaml is the quickstart preset, field for field', () => {
  const preset = PRESETS['quick'];
  assert.ok(preset, 'the quick preset exists');
  const expected = parseRunConfig('preset quick', preset({ data: FASHION_MNIST, storage: '.w2s', seed: 0 }));
  assert.deepEqual(readRunConfig(EXAMPLE), expected);
});
