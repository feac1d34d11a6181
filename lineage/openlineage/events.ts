/**
 * A run's lineage records as OpenLineage run events: each stage attempt is
 * an OpenLineage run with a START event (its inputs) and a COMPLETE or FAIL
 * event (its inputs and outputs); the pipeline run is their parent. Run ids
 * are name-based UUIDs, so exporting a run twice gives identical events.
 */
import type { LineageRecord } from '../../schemas/lineage.js';
import { inputDataset, outputDataset, type InputDataset, type OutputDataset } from './datasets.js';
import { facet, RUN_EVENT_SCHEMA_URL, type Facet } from './facets.js';
import { pipelineRunUuid, stageRunUuid } from './run-uuid.js';

export interface OpenLineageOptions {
  /** Job namespace, e.g. `w2s` or the Temporal namespace the pipeline runs in. */
  readonly namespace: string;
  /** URI of the producer of the events (`_producer` of every facet). */
  readonly producer: string;
  /** The storage root the records were read from: dataset names are the objects' URIs under it. */
  readonly storage: string;
}

export interface RunFacets {
  readonly parent: Facet<{ run: { runId: string }; job: { namespace: string; name: string } }>;
  readonly processing_engine: Facet<{ name: string; version: string; backend?: { name: string; device: string; package: string } }>;
  readonly nominalTime: Facet<{ nominalStartTime: string }>;
  readonly errorMessage?: Facet<{ message: string; programmingLanguage: string }>;
}

export interface JobFacets {
  readonly jobType: Facet<{ processingType: 'BATCH'; integration: 'W2S'; jobType: string }>;
}

export interface RunEvent {
  readonly eventType: 'START' | 'COMPLETE' | 'FAIL';
  readonly eventTime: string;
  readonly producer: string;
  readonly schemaURL: string;
  readonly run: { readonly runId: string; readonly facets: RunFacets };
  readonly job: { readonly namespace: string; readonly name: string; readonly facets: JobFacets };
  readonly inputs: readonly InputDataset[];
  readonly outputs: readonly OutputDataset[];
}

/** The pipeline's job name: the workflow type (`weakToStrong`, `retrain`...). */
export function pipelineJobName(record: LineageRecord): string {
  return record.workflowType || 'w2s';
}

/** A stage's job name, `<workflow type>.<stage>`, the usual `dag.task` shape. */
export function stageJobName(record: LineageRecord): string {
  return `${pipelineJobName(record)}.${record.stage}`;
}

/** START and COMPLETE/FAIL for every attempt, in event-time order. */
export function toOpenLineageEvents(records: readonly LineageRecord[], options: OpenLineageOptions): RunEvent[] {
  const events = records.flatMap((record) => attemptEvents(record, options));
  // Stable sort: an attempt's START stays before its end even when both share a timestamp.
  return events.sort((a, b) => Date.parse(a.eventTime) - Date.parse(b.eventTime));
}

function attemptEvents(record: LineageRecord, options: OpenLineageOptions): [RunEvent, RunEvent] {
  const { producer, namespace } = options;
  const runFacets: RunFacets = {
    parent: facet('ParentRunFacet', producer, {
      run: { runId: pipelineRunUuid(record.runId) },
      job: { namespace, name: pipelineJobName(record) },
    }),
    processing_engine: facet('ProcessingEngineRunFacet', producer, {
      name: 'w2s',
      version: record.codeVersion,
      ...(record.backend ? { backend: { ...record.backend } } : {}),
    }),
    nominalTime: facet('NominalTimeRunFacet', producer, { nominalStartTime: isoTime(record.startedAt) }),
  };
  const base = { producer, schemaURL: RUN_EVENT_SCHEMA_URL };
  const job = {
    namespace,
    name: stageJobName(record),
    facets: { jobType: facet('JobTypeJobFacet', producer, { processingType: 'BATCH' as const, integration: 'W2S' as const, jobType: record.kind }) },
  };
  const inputs = record.inputs.map((object) => inputDataset(object, options.storage, producer));
  const runId = stageRunUuid(record.runId, record.stage, record.attempt);
  const start: RunEvent = { eventType: 'START', eventTime: isoTime(record.startedAt), ...base, run: { runId, facets: runFacets }, job, inputs, outputs: [] };
  const failed = record.status === 'failed';
  const end: RunEvent = {
    eventType: failed ? 'FAIL' : 'COMPLETE',
    eventTime: isoTime(record.endedAt),
    ...base,
    run: {
      runId,
      facets: failed
        ? { ...runFacets, errorMessage: facet('ErrorMessageRunFacet', producer, { message: errorText(record), programmingLanguage: 'TypeScript' }) }
        : runFacets,
    },
    job,
    inputs,
    outputs: record.outputs.map((object) => outputDataset(object, options.storage, producer, rowCountOf(record))),
  };
  return [start, end];
}

/** The stage's `rows` metric describes its output only when it wrote exactly one Arrow shard. */
function rowCountOf(record: LineageRecord): number | undefined {
  const rows = record.metrics.rows;
  const [only, ...others] = record.outputs;
  const singleShard = only !== undefined && others.length === 0 && only.key.endsWith('.arrow');
  return singleShard && rows !== undefined && Number.isInteger(rows) && rows >= 0 ? rows : undefined;
}

function errorText(record: LineageRecord): string {
  return record.error ? `${record.error.type}: ${record.error.message}` : `stage ${record.stage} attempt ${record.attempt} failed (no error recorded)`;
}

function isoTime(value: string): string {
  return new Date(value).toISOString();
}
