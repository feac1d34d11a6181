/**
 * `w2s run --local` in a terminal (a pseudo-terminal, through Python's pty
 * module), as a user sees it: the live view redrawn in place, no JSON log
 * lines from the in-process workers (they go to a file under the storage
 * root, whose path is printed), the results table once, and the commands
 * that look at the run again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { localStorageRoot, tinyConfig } from '../harness/pipeline.js';
import { CLI } from '../harness/temporal.js';

const exec = promisify(execFile);
const { TEMPORAL_ADDRESS: _ignored, ...env } = process.env;

/** Runs `argv` with a pseudo-terminal as its stdin, stdout and stderr; everything it wrote, as the terminal got it. */
async function inTerminal(argv: readonly string[]): Promise<string> {
  const script = 'import os, pty, sys\nstatus = pty.spawn(sys.argv[1:])\nsys.exit(os.waitstatus_to_exitcode(status))';
  const { stdout } = await exec('python3', ['-c', script, ...argv], { env, maxBuffer: 64 << 20 });
  return stdout;
}

/** The terminal's text without colour and cursor sequences, one entry per line. */
function lines(output: string): string[] {
  return output
    .replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*[A-Za-z]`, 'g'), '')
    .split(/\r?\n/)
    .map((line) => line.replace(/\r/g, ''));
}

test('run --local in a terminal: the live view, no JSON log lines, one results table, and how to look again', async () => {
  const storage = await localStorageRoot();
  const file = join(await mkdtemp(join(tmpdir(), 'w2s-terminal-')), 'tiny.json');
  await writeFile(file, JSON.stringify(tinyConfig(storage, { students: [{ method: 'ceiling' }, { method: 'hard' }] })));

  const output = lines(await inTerminal([process.execPath, CLI, 'run', '--local', '--config', file, '--id', 'terminal-run']));
  const text = output.join('\n');

  assert.ok(output.some((line) => /^ {2}stage +status +duration/.test(line)), `the live view is drawn:\n${text}`);
  assert.deepEqual(output.filter((line) => line.trimStart().startsWith('{')), [], 'no JSON log lines in the terminal');
  assert.equal(output.filter((line) => /^model +role +accuracy/.test(line)).length, 1, `one results table:\n${text}`);

  const logFile = /^worker logs: (.+)$/m.exec(text)?.[1];
  assert.ok(logFile !== undefined && logFile.startsWith(storage) && existsSync(logFile), `the worker log is a file under the storage root: ${logFile}`);
  assert.match(readFileSync(logFile, 'utf8'), /"event":"stage-start"/);

  assert.match(text, /^run terminal-run finished in \d+ s$/m);
  assert.match(text, /^look at it again:$/m);
  assert.ok(output.some((line) => line.trim().startsWith(`w2s report terminal-run --storage ${storage}`)), `the report command:\n${text}`);
  assert.ok(output.some((line) => line.trim().startsWith(`w2s results --storage ${storage}`)), `the results command:\n${text}`);
});
