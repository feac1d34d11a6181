/**
 * Ctrl-C and resume on the embedded default, as a user meets them: `w2s run
 * --local` in its own process group gets SIGINT the way a terminal sends it
 * (to the whole foreground group, the dev server it started included), stops
 * within seconds with one line saying where, and the same command started
 * again resumes that run: same run id, its training from the checkpoint.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { localStateFolder } from '../../cli/embedded.js';
import { LOCAL_STATE_FILES } from '../../storage/layout.js';
import { lineageOf, localStorageRoot, tinyConfig } from '../harness/pipeline.js';
import { CLI } from '../harness/temporal.js';

const exec = promisify(execFile);
const { TEMPORAL_ADDRESS: _ignored, ...env } = process.env;

/** Whether the training has stored a checkpoint: its pointer exists under the run's training folder. */
function hasCheckpoint(storage: string): boolean {
  const runs = join(storage, 'runs');
  if (!existsSync(runs)) return false;
  return readdirSync(runs).some((run) => {
    const stage = join(runs, run, 'train-hard');
    return existsSync(stage) && readdirSync(stage).some((key) => existsSync(join(stage, key, 'latest.json')));
  });
}

test('Ctrl-C stops a local run within seconds, says where, and the same command resumes it from its checkpoint', async () => {
  const storage = await localStorageRoot();
  const file = join(await mkdtemp(join(tmpdir(), 'w2s-interrupt-')), 'tiny.json');
  // Enough epochs that the training is still going when the first checkpoint appears.
  await writeFile(file, JSON.stringify(tinyConfig(storage, { students: [{ method: 'hard' }], strong: { model: 'cnn-small', epochs: 40, batchSize: 32 } })));
  const args = [CLI, 'run', '--local', '--config', file];

  const child = spawn(process.execPath, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    // The storage root is the run's own state: the training's checkpoint pointer appears there once written.
    const watch = setInterval(() => {
      if (hasCheckpoint(storage)) {
        clearInterval(watch);
        resolve();
      }
    }, 100);
    void exited.then((code) => {
      clearInterval(watch);
      reject(new Error(`the run ended (${code}) before its training checkpointed:\n${stderr}`));
    });
  });

  const interruptedAt = Date.now();
  process.kill(-child.pid!, 'SIGINT');
  const code = await exited;
  const stopSeconds = (Date.now() - interruptedAt) / 1000;
  assert.equal(code, 130, stderr);
  assert.ok(stopSeconds < 30, `stopped in ${stopSeconds.toFixed(1)} s`);
  const line = /^interrupted: run (\S+) stopped during train-hard \(epoch \d+\/40, step \d+\/\d+, checkpoint saved\); `w2s run --local --config \S+` again resumes it$/m.exec(stderr);
  assert.ok(line, `one line says where the run stopped and how to go on:\n${stderr}`);
  const runId = line[1]!;
  assert.doesNotMatch(stderr, /Connection refused|unreachable/, 'the server outlives the workers');

  const again = await exec(process.execPath, args, { env });
  assert.match(again.stderr, new RegExp(`^resuming run ${runId}, interrupted during train-hard \\(epoch \\d+/40, step \\d+/\\d+, checkpoint saved\\)$`, 'm'));
  assert.match(again.stdout, new RegExp(`^run ${runId} finished in \\d+ s$`, 'm'));
  const training = (await lineageOf(storage, runId)).filter((r) => r.stage === 'train-hard');
  const resumedFrom = Math.max(...training.map((r) => Number(r.metrics?.resumedFromStep ?? 0)));
  assert.ok(resumedFrom > 0, `the training resumed from its checkpoint, not from step 0: ${JSON.stringify(training.map((r) => r.metrics))}`);
  assert.equal(readdirSync(join(storage, 'runs')).length, 1, 'one run, not a second one started over');
});

test('a second command on the same config while the first runs keeps its history in memory, and says so', async () => {
  const storage = await localStorageRoot();
  const file = join(await mkdtemp(join(tmpdir(), 'w2s-interrupt-')), 'tiny.json');
  const config = tinyConfig(storage, { students: [{ method: 'hard' }], strong: { model: 'cnn-small', epochs: 1, batchSize: 32 } });
  await writeFile(file, JSON.stringify(config));
  // The first command's lock, held by a process that is alive (this one): two dev servers must not share one SQLite file.
  const state = localStateFolder(config);
  await mkdir(state, { recursive: true });
  await writeFile(join(state, LOCAL_STATE_FILES.lock), String(process.pid));
  const second = await exec(process.execPath, [CLI, 'run', '--local', '--config', file], { env });
  assert.match(second.stderr, new RegExp(`^another w2s command \\(pid ${process.pid}\\) runs this config on its local server; this one keeps its history in memory`, 'm'));
  assert.match(second.stdout, /^run test-\S+ finished in \d+ s$/m);
  assert.equal(existsSync(join(state, LOCAL_STATE_FILES.temporal)), false, 'the first command\'s server file is left alone');
  assert.equal(readFileSync(join(state, LOCAL_STATE_FILES.lock), 'utf8'), String(process.pid), 'and so is its lock');
});
