/** Lineage of a run: its records, stage graph, summary, OpenLineage export and verification. */
export { lineagePrefix, readLineage } from './read.js';
export { stageGraph, type StageEdge, type StageGraph, type StageNode } from './graph.js';
export { lineageSummary, missingRecords, summaryKey, writeLineageSummary, type LineageSummary, type MissingRecords, type StageSummary } from './summary.js';
export { verifyRecords, verifyRun, type ObjectCheck, type RunVerification, type Verdict } from './verify.js';
export { toOpenLineageEvents, type OpenLineageOptions, type RunEvent } from './openlineage/events.js';
export { FACET_SCHEMA_IDS, OPENLINEAGE_SCHEMA_ID, RUN_EVENT_SCHEMA_URL } from './openlineage/facets.js';
export { pipelineRunUuid, stageRunUuid } from './openlineage/run-uuid.js';
