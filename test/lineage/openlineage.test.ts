import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { tableFromIPC, type DataType, type Field } from 'apache-arrow';
import { FACET_SCHEMA_IDS, OPENLINEAGE_SCHEMA_ID, pipelineRunUuid, readLineage, stageRunUuid, toOpenLineageEvents, type RunEvent } from '../../lineage/index.js';
import { datasetName } from '../../lineage/openlineage/datasets.js';
import type { LineageRecord } from '../../schemas/lineage.js';
import { OpenLineageValidator, schemaFiles } from './openlineage-validator.js';
import { tempStore, writeDemoRun, type DemoRun, type TempStore } from './fixture.js';

const OPTIONS = { namespace: 'w2s-test', producer: 'urn:w2s:0.1.0' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let temp: TempStore;
let run: DemoRun;
let records: LineageRecord[];
let events: RunEvent[];
const validator = new OpenLineageValidator();

before(async () => {
  temp = await tempStore();
  run = await writeDemoRun(temp.store);
  records = await readLineage(temp.store, run.runId);
  events = toOpenLineageEvents(records, { ...OPTIONS, storage: temp.store.uri });
});

after(async () => {
  await temp.dispose();
});

/** A deep copy to break on purpose. */
function clone(event: RunEvent): Record<string, unknown> & { run: { runId: string; facets: Record<string, Record<string, unknown>> } } {
  return JSON.parse(JSON.stringify(event)) as ReturnType<typeof clone>;
}

test('every exported event validates against OpenLineage.json and each facet against its own schema', () => {
  assert.equal(events.length, 2 * records.length);
  for (const event of events) {
    assert.deepEqual(validator.problems(event), [], `${event.eventType} ${event.job.name}`);
  }
});

test('each attempt is one run: START then COMPLETE, or FAIL with the error, under the pipeline run as parent', () => {
  const byRun = new Map<string, RunEvent[]>();
  for (const event of events) byRun.set(event.run.runId, [...(byRun.get(event.run.runId) ?? []), event]);
  assert.equal(byRun.size, records.length);
  for (const record of records) {
    const pair = byRun.get(stageRunUuid(record.runId, record.stage, record.attempt));
    assert.ok(pair, `${record.stage}#${record.attempt} has events`);
    assert.deepEqual(pair.map((e) => e.eventType), ['START', record.status === 'failed' ? 'FAIL' : 'COMPLETE']);
    const [start, end] = pair as [RunEvent, RunEvent];
    assert.equal(start.eventTime, record.startedAt);
    assert.equal(end.eventTime, record.endedAt);
    assert.equal(start.job.name, `weakToStrong.${record.stage}`);
    assert.equal(start.job.facets.jobType.jobType, record.kind);
    assert.equal(end.run.facets.parent.run.runId, pipelineRunUuid(run.runId));
    assert.equal(end.run.facets.parent.job.name, 'weakToStrong');
    assert.equal(end.run.facets.processing_engine.version, record.codeVersion);
    assert.equal(end.run.facets.nominalTime.nominalStartTime, record.startedAt);
    assert.deepEqual(end.inputs.map((d) => d.facets.version.datasetVersion), record.inputs.map((o) => o.sha256));
    assert.deepEqual(end.outputs.map((d) => d.facets.version.datasetVersion), record.outputs.map((o) => o.sha256));
    assert.deepEqual(start.outputs, []);
  }
  const failed = events.find((e) => e.eventType === 'FAIL');
  assert.equal(failed?.job.name, 'weakToStrong.train-weak');
  assert.equal(failed?.run.facets.errorMessage?.message, 'WorkerLost: heartbeat timeout after 60 s');
  const times = events.map((e) => Date.parse(e.eventTime));
  assert.deepEqual(times, [...times].sort((a, b) => a - b));
});

test('run ids are deterministic UUIDs: a re-export is identical, other attempts and runs get other ids', () => {
  assert.equal(JSON.stringify(toOpenLineageEvents(records, { ...OPTIONS, storage: temp.store.uri })), JSON.stringify(events));
  const ids = [...new Set(events.map((e) => e.run.runId)), pipelineRunUuid(run.runId)];
  for (const id of ids) assert.match(id, UUID);
  assert.equal(new Set(ids).size, records.length + 1);
  assert.notEqual(stageRunUuid(run.runId, 'train-weak', 1), stageRunUuid(run.runId, 'train-weak', 2));
  assert.notEqual(pipelineRunUuid(run.runId), pipelineRunUuid(`${run.runId}-2`));
  // Parts are delimited, so shifting a hyphen between run id and stage names another run.
  assert.notEqual(stageRunUuid('a-b', 'c', 1), stageRunUuid('a', 'b-c', 1));
});

test('every facet names a schema file here and a definition in it', () => {
  const files = new Map(schemaFiles().map((f) => [f.schema.$id, f.schema]));
  assert.ok(files.has(OPENLINEAGE_SCHEMA_ID));
  for (const [name, id] of Object.entries(FACET_SCHEMA_IDS)) {
    assert.ok(files.get(id)?.$defs[name], `${name}: ${id} defines it`);
  }
  const seen = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (typeof value !== 'object' || value === null) return;
    const facet = value as Record<string, unknown>;
    if (typeof facet._schemaURL === 'string') {
      seen.add(facet._schemaURL);
      const [id, pointer] = facet._schemaURL.split('#/$defs/');
      assert.ok(id && pointer && files.get(id)?.$defs[pointer], `${facet._schemaURL} resolves`);
      assert.equal(facet._producer, OPTIONS.producer);
    }
    Object.values(facet).forEach(visit);
  };
  events.forEach(visit);
  // Parent, engine, nominal time, error, job type, version, storage, schema, output statistics.
  assert.equal(seen.size, 9);
});

test('broken events are rejected, naming what is wrong', () => {
  const sample = events.find((e) => e.eventType === 'FAIL');
  assert.ok(sample);
  const cases: [string, (e: ReturnType<typeof clone>) => void, RegExp][] = [
    ['no event time', (e) => delete e.eventTime, /eventTime/],
    ['run id not a UUID', (e) => (e.run.runId = 'train-weak-1'), /\/run\/runId: must match format "uuid"/],
    ['unknown event type', (e) => (e.eventType = 'DONE'), /eventType: must be equal to one of the allowed values/],
    ['facet without producer', (e) => delete e.run.facets.nominalTime?._producer, /run\.facets\/nominalTime.*_producer/],
    ['error without language', (e) => delete e.run.facets.errorMessage?.programmingLanguage, /run\.facets\/errorMessage.*programmingLanguage/],
    ['nominal time not a date-time', (e) => ((e.run.facets.nominalTime as Record<string, unknown>).nominalStartTime = 'yesterday'), /nominalStartTime: must match format "date-time"/],
    ['a facet no schema defines', (e) => (e.run.facets.w2sCache = { _producer: OPTIONS.producer, _schemaURL: 'urn:x' }), /run\.facets\.w2sCache: no facet schema defines this name/],
    ['storage facet without layer', (e) => delete (e.inputs as { facets: { storage: Record<string, unknown> } }[])[0]?.facets.storage.storageLayer, /inputs\[0\]\.facets\/storage.*storageLayer/],
  ];
  for (const [what, breakIt, expected] of cases) {
    const broken = clone(sample);
    breakIt(broken);
    const problems = validator.problems(broken);
    assert.ok(problems.some((p) => expected.test(p)), `${what}: ${JSON.stringify(problems)}`);
  }
});

test('datasets are named by the OpenLineage convention and point at the real objects', () => {
  const inputs = events.flatMap((e) => e.inputs);
  assert.ok(inputs.length > 0);
  for (const dataset of inputs) {
    assert.equal(dataset.namespace, 'file');
    assert.ok(existsSync(dataset.name), `${dataset.name} exists`);
  }
  assert.deepEqual(datasetName('gs://w2s-runs/prefix/datasets/x/weak/shard-00000.arrow'), { namespace: 'gs://w2s-runs', name: 'prefix/datasets/x/weak/shard-00000.arrow' });
  assert.throws(() => datasetName('s3://bucket/key'), /neither a file nor a gs:\/\/ URI/);
});

function arrowType(type: DataType): string {
  return String(type)
    .replace(/[[<].*$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

test('the schema facet of a shard lists the columns the Arrow file really has', async () => {
  const shards = events.flatMap((e) => e.outputs).filter((d) => d.facets.schema);
  assert.deepEqual(new Set(shards.map((d) => d.facets.storage.storageLayer)), new Set(['arrow']));
  assert.ok(shards.some((d) => d.name.endsWith('soft-labels.arrow')) && shards.some((d) => d.name.includes('/weak/shard-')));
  for (const dataset of shards) {
    const table = tableFromIPC(await temp.store.get(temp.store.keyOf(`file://${dataset.name}`)));
    const describe = (field: Field): unknown => ({
      name: field.name,
      type: arrowType(field.type),
      ...(field.type.children?.length ? { fields: field.type.children.map(describe) } : {}),
    });
    const facetFields = (dataset.facets.schema?.fields ?? []).map(({ description: _description, ...rest }) => rest);
    assert.deepEqual(facetFields, table.schema.fields.map(describe), dataset.name);
  }
});

test('output statistics give the size, and a row count only where the stage reported it for one shard', () => {
  const rowsOf = (stage: string) => events.find((e) => e.eventType === 'COMPLETE' && e.job.name.endsWith(stage))?.outputs.map((d) => d.outputFacets.outputStatistics);
  assert.deepEqual(rowsOf('label-transfer-00000'), [{ _producer: OPTIONS.producer, _schemaURL: `${FACET_SCHEMA_IDS.OutputStatisticsOutputDatasetFacet}#/$defs/OutputStatisticsOutputDatasetFacet`, size: run.objects.transferLogits?.bytes, rowCount: 6 }]);
  const ingest = rowsOf('ingest') ?? [];
  assert.equal(ingest.length, 4);
  for (const stats of ingest) assert.equal(stats.rowCount, undefined);
  assert.deepEqual(ingest.map((s) => s.size), ['manifest', 'weakShard', 'transferShard', 'testShard'].map((n) => run.objects[n]?.bytes));
});
