/**
 * docs/config.md is generated from the zod schemas (`npm run docs:config`):
 * the committed file must be what the generator prints, so a schema change
 * without regenerating the reference fails here. The reference names every
 * field the schemas accept.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configReferenceMarkdown } from '../../cli/config-reference.js';
import { parseRunConfig } from '../../cli/config-file.js';

const ROOT = dirname(dirname(dirname(dirname(fileURLToPath(import.meta.url)))));

test('docs/config.md is what the generator prints from the schemas', async () => {
  const committed = await readFile(join(ROOT, 'docs', 'config.md'), 'utf8');
  assert.equal(committed, configReferenceMarkdown(), 'docs/config.md is out of date: run npm run docs:config');
});

test('the reference lists every field of a parsed config, nested ones included, with its default', () => {
  const reference = configReferenceMarkdown();
  const config = parseRunConfig('reference check', {
    name: 'ref',
    dataset: { source: '/data', limit: { train: 10 } },
    teacher: { model: 'linear', epochs: 1 },
    strong: { model: 'cnn', epochs: 1 },
    students: [{ method: 'adaptconf' }],
    promotion: { registry: 'r', student: 'adaptconf' },
  });
  const paths = (value: unknown, prefix: string): string[] =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? Object.entries(value).flatMap(([key, field]) => [`${prefix}${key}`, ...paths(field, `${prefix}${key}.`)])
      : [];
  const { students, ...rest } = config;
  const expected = [...paths(rest, ''), ...paths(students[0], 'students[].')];
  const missing = expected.filter((path) => !reference.includes(`| \`${path}\` |`));
  assert.deepEqual(missing, []);
  assert.match(reference, /\| `students\[\]\.theta` \| number \| {2}\| `0\.5` \| > 0, ≤ 1000 \| temperature of the adaptive weight.*\(only for method `adaptconf`\) \|/);
  assert.match(reference, /\| `execution\.heartbeatTimeoutSeconds` \| number \| {2}\| `60` \| ≥ 1, ≤ 86400 \| a training attempt whose worker has been silent/);
});
