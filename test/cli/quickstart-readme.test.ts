/**
 * The quickstart as a new user runs it (`node dist/bin/w2s.js quickstart`,
 * its own dev server, real Fashion-MNIST): what it prints is the table in
 * README.md's Results section, to the character (training is deterministic),
 * and it shows what the quickstart is for: learning from the teacher's labels
 * alone, the hard-label and AdaptConf students recover at least half of the
 * gap to the ceiling (PGR >= 0.5) and lead their weak teacher by at least
 * three points (six standard errors of the test split). `w2s results` then reads the finished run
 * back from storage and says the same, with the command that made it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { registerResults } from '../../cli/commands/results.js';
import type { Scenario } from '../../cli/results/summarize.js';
import { runCli } from '../lineage/run-cli.js';

const ROOT = dirname(dirname(dirname(dirname(fileURLToPath(import.meta.url)))));

/** The first code block of README.md's "## Results" section. */
export async function readmeQuickstartTable(): Promise<string> {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((s) => s.startsWith('Results'));
  const block = section ? /```\n([\s\S]*?)\n```/.exec(section)?.[1] : undefined;
  assert.ok(block, "README.md's Results section has a code block with the quickstart's output");
  return block;
}

/** Accuracy by model name, read from the printed table. */
function accuracies(table: string): Map<string, { accuracy: number; examples: number }> {
  const rows = table.split('\n').filter((line) => /^\S+\s+(weak|ceiling|student)\s+\d/.test(line));
  return new Map(
    rows.map((line) => {
      const cells = line.split(/\s{2,}/);
      return [cells[0]!, { accuracy: Number(cells[2]!.replace('%', '')) / 100, examples: Number(cells[6]) }];
    }),
  );
}

test('a fresh quickstart prints exactly the README table, and its students recover at least half the gap and lead their teacher by 3 points', async () => {
  const expected = await readmeQuickstartTable();
  const storage = await mkdtemp(join(tmpdir(), 'w2s-quickstart-'));
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT, 'dist', 'bin', 'w2s.js'), 'quickstart', '--storage', storage], {
      cwd: ROOT,
      // The README's command names the wasm backend: the one every machine has, and the one its table was printed on.
      env: { ...process.env, TEMPORAL_ADDRESS: '', W2S_BACKEND: 'wasm' },
      maxBuffer: 16 << 20,
    });
    // The Temporal core may log warnings (a slow workflow task on a busy machine) to stdout before the table.
    const printed = stdout.trimEnd().split('\n');
    const start = printed.findIndex((line) => line.startsWith('model '));
    assert.ok(start >= 0, `the quickstart prints a results table:\n${stdout}`);
    // After the table and the margins: the run's line, the report's path, then the commands that look at the run again.
    const finished = printed.findIndex((line) => /^run quickstart-\S+ finished in \d+ s$/.test(line));
    assert.ok(finished > start, `the quickstart says which run finished:\n${stdout}`);
    assert.match(printed[finished + 1] ?? '', /^report: /);
    assert.match(printed.slice(finished + 2).join('\n'), /^ {2}w2s report quickstart-\S+ --storage /m);
    const table = printed.slice(start, finished).join('\n').trimEnd();
    assert.equal(table, expected, 'README.md shows what the shipped quickstart prints');

    const rows = accuracies(table);
    const weak = rows.get('weak');
    const ceiling = rows.get('ceiling');
    assert.ok(weak && ceiling && rows.get('hard') && rows.get('adaptconf'), 'the table has the teacher, the ceiling and the hard and AdaptConf students');
    for (const name of ['hard', 'adaptconf']) {
      const student = rows.get(name)!;
      const pgr = (student.accuracy - weak.accuracy) / (ceiling.accuracy - weak.accuracy);
      assert.ok(pgr >= 0.5, `${name} recovers at least half the gap: PGR ${pgr.toFixed(3)}`);
      assert.ok(student.accuracy - weak.accuracy >= 0.03, `${name} ${student.accuracy} leads its teacher ${weak.accuracy} by at least 3 points`);
    }

    const results = await runCli(registerResults, ['results', '--storage', storage, '--json']);
    assert.equal(results.exitCode, 0, results.stderr);
    const [found] = JSON.parse(results.stdout) as Array<{ scenario: Scenario; command?: string }>;
    assert.ok(found);
    assert.equal(found.scenario.name, 'quickstart');
    assert.deepEqual(found.scenario.seeds, [0]);
    assert.equal(found.command, `w2s quickstart --storage ${storage} --seed 0`);
    assert.match(found.scenario.verdicts.join('\n'), /adaptconf beats its weak teacher on every seed by at least 3 standard errors/);
  } finally {
    await rm(storage, { recursive: true, force: true });
  }
});
