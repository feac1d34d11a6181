import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { registerLineage } from '../../cli/commands/lineage.js';
import type { StageGraph } from '../../lineage/index.js';
import type { LineageRecord } from '../../schemas/lineage.js';
import { OpenLineageValidator } from './openlineage-validator.js';
import { tempStore, writeDemoRun, type DemoRun, type TempStore } from './fixture.js';
import { runCli } from './run-cli.js';

let temp: TempStore;
let run: DemoRun;

before(async () => {
  temp = await tempStore();
  run = await writeDemoRun(temp.store);
});

after(async () => {
  await temp.dispose();
});

/** The block of lines `w2s lineage` prints for one stage. */
function block(stdout: string, stage: string): string {
  const blocks = stdout.split('\n\n');
  const found = blocks.find((b) => b.startsWith(`${stage} [`));
  assert.ok(found, `no block for ${stage} in:\n${stdout}`);
  return found;
}

test('w2s lineage prints the stage graph: status, attempts, timing, where it ran, objects in and out', async () => {
  const { stdout, exitCode } = await runCli(registerLineage, ['lineage', run.runId, '--storage', temp.root]);
  assert.equal(exitCode, 0);
  assert.match(stdout.split('\n')[0] ?? '', /^run fashion-demo-1a2b: 8 stages, 9 attempts, 1 cache hit, 1 failed attempt, 2m08s wall/);

  const ingest = block(stdout, 'ingest');
  assert.match(ingest, /^ingest \[ingest\]\s+cached\s+attempt 1\s+2\.0s\s+no backend\s+worker cpu-1@node-a/);
  assert.match(ingest, new RegExp(`out\\s+${run.objects.weakShard?.sha256.slice(0, 12)}\\s+shard\\s+datasets/ds-0123abcd/weak/shard-00000\\.arrow`));

  const weak = block(stdout, 'train-weak');
  assert.match(weak, /completed\s+attempt 2 \(of 2 recorded\)\s+25\.0s\s+wasm\/cpu\s+worker gpu-2@node-c \(w2s-gpu\)\s+resumed from step 40/);
  assert.match(weak, /attempt 1 on gpu-1@node-b: failed after 37\.0s \(WorkerLost: heartbeat timeout after 60 s\)/);
  assert.match(weak, /in\s+\w{12}\s+shard\s+datasets\/ds-0123abcd\/weak\/shard-00000\.arrow .*<- ingest/);
  assert.match(weak, /metrics\s+steps=80 finalLoss=0\.61/);

  const student = block(stdout, 'train-adaptconf');
  assert.match(student, /in\s+\w{12}\s+soft-labels\s+runs\/fashion-demo-1a2b\/label-transfer-00000\/soft-labels\.arrow .*<- label-transfer-00000/);
  assert.match(block(stdout, 'report'), /out\s+\w{12}\s+report\s+runs\/fashion-demo-1a2b\/report\/report\.html/);
});

test('w2s lineage --json gives the records and the graph', async () => {
  const { stdout } = await runCli(registerLineage, ['lineage', run.runId, '--storage', temp.root, '--json']);
  const parsed = JSON.parse(stdout) as { runId: string; records: LineageRecord[]; graph: StageGraph };
  assert.equal(parsed.runId, run.runId);
  assert.equal(parsed.records.length, run.records.length);
  assert.equal(parsed.graph.nodes.length, 8);
  assert.ok(parsed.graph.edges.some((e) => e.from === 'train-weak' && e.to === 'label-transfer-00000' && e.object.role === 'teacher'));
});

test('w2s lineage --openlineage prints one valid run event per line', async () => {
  const { stdout } = await runCli(registerLineage, ['lineage', run.runId, '--storage', temp.root, '--openlineage', '--namespace', 'team-a', '--producer', 'https://example.org/w2s']);
  const lines = stdout.split('\n');
  assert.equal(lines.length, 2 * run.records.length);
  const validator = new OpenLineageValidator();
  for (const line of lines) {
    const event = JSON.parse(line) as { job: { namespace: string }; producer: string };
    assert.deepEqual(validator.problems(event), []);
    assert.equal(event.job.namespace, 'team-a');
    assert.equal(event.producer, 'https://example.org/w2s');
  }
  const again = await runCli(registerLineage, ['lineage', run.runId, '--storage', temp.root, '--openlineage', '--namespace', 'team-a', '--producer', 'https://example.org/w2s']);
  assert.equal(again.stdout, stdout);
});

test('w2s lineage refuses --json with --openlineage', async () => {
  await assert.rejects(runCli(registerLineage, ['lineage', run.runId, '--storage', temp.root, '--json', '--openlineage']), /cannot be used with/);
});
