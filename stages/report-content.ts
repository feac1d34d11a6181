/**
 * Gathers what a run's report shows from storage: the dataset's class names
 * (manifest), each training's record and each evaluation's details (found
 * through the run's lineage records and the evaluate outputs), and the
 * stage graph. Every object read is checked against the hash that names it.
 */
import { z } from 'zod';
import { BadInputError } from '../core/errors.js';
import { readLineage, stageGraph } from '../lineage/index.js';
import type { EvaluatedDetails, ReportContent, SplitRow, StageRow, TrainedModel } from '../report/content.js';
import type { LineageObject, LineageRecord } from '../schemas/lineage.js';
import { ManifestSchema, splitEntries } from '../schemas/manifest.js';
import { EvaluationDetailsSchema, TRAINING_RECORD_ROLE, TrainingRecordSchema } from '../schemas/report-data.js';
import type { ObjectRef, ReportInput } from '../schemas/stages.js';
import { lineagePrefix, manifestKey } from '../storage/layout.js';
import type { ObjectStore } from '../storage/object-store.js';
import { getVerified } from './stores.js';

export interface GatheredReport {
  readonly classNames: readonly string[];
  readonly trainings: readonly TrainedModel[];
  readonly evaluations: readonly EvaluatedDetails[];
  readonly stages: readonly StageRow[];
  readonly splits?: readonly SplitRow[];
  readonly ran?: ReportContent['ran'];
  /** The objects read, for the report's lineage. */
  readonly read: readonly LineageObject[];
}

async function readJson<T>(store: ObjectStore, ref: ObjectRef, what: string, schema: z.ZodType<T>): Promise<T> {
  const data = await getVerified(store, ref, what);
  const parsed = schema.safeParse(JSON.parse(new TextDecoder().decode(data)));
  if (!parsed.success) throw new BadInputError(store.uriOf(ref.key), `is not a valid ${what}:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export async function gatherReport(store: ObjectStore, input: ReportInput): Promise<GatheredReport> {
  const read: LineageObject[] = [];
  // A report rendered apart from its run (a stage test, a copied root without datasets/) still renders, with numbered classes.
  const key = manifestKey(input.datasetId);
  const manifest = (await store.exists(key)) ? ManifestSchema.parse(JSON.parse(new TextDecoder().decode(await store.get(key)))) : undefined;
  // The report's own earlier attempts are left out: a retry must write the same bytes as the attempt before it.
  const all = (await store.list(lineagePrefix(input.runId))).length > 0 ? await readLineage(store, input.runId) : [];
  const records = all.filter((r) => r.stage !== input.stage);

  const evaluations: EvaluatedDetails[] = [];
  for (const m of input.models) {
    const ref = m.metrics.details;
    if (!ref) continue;
    evaluations.push({ name: m.name, role: m.role, details: await readJson(store, ref, 'evaluation details', EvaluationDetailsSchema) });
    read.push({ ...ref, role: 'evaluation-details' });
  }

  const trainings: TrainedModel[] = [];
  for (const m of input.models) {
    const ref = trainingRecordOf(records, m.model.sha256);
    if (!ref) continue;
    trainings.push({ name: m.name, role: m.role, record: await readJson(store, ref, 'training record', TrainingRecordSchema) });
    read.push(ref);
  }

  const numClasses = evaluations[0]?.details.confusion.length ?? 0;
  const classNames = manifest && manifest.classes.length > 0 ? manifest.classes : Array.from({ length: numClasses }, (_, k) => String(k));
  const ran = records.length
    ? {
        startedAt: records.map((r) => r.startedAt).sort()[0]!,
        endedAt: records.map((r) => r.endedAt).sort().at(-1)!,
        codeVersions: [...new Set(records.map((r) => r.codeVersion))].sort(),
      }
    : undefined;
  const splits = manifest ? splitEntries(manifest).map(([name, entry]) => ({ name, examples: entry.rows })) : undefined;
  return { classNames, trainings, evaluations, stages: stageRows(records), ...(splits ? { splits } : {}), ...(ran ? { ran } : {}), read };
}

/** The training record of the completed training (fresh or cached) that produced the model with this hash. */
function trainingRecordOf(records: readonly LineageRecord[], modelSha256: string): LineageObject | undefined {
  const training = records.filter((r) => r.kind === 'train' && r.status === 'completed' && r.outputs.some((o) => o.role === 'model' && o.sha256 === modelSha256));
  return training.at(-1)?.outputs.find((o) => o.role === TRAINING_RECORD_ROLE);
}

function stageRows(records: readonly LineageRecord[]): StageRow[] {
  if (records.length === 0) return [];
  const graph = stageGraph(records);
  return graph.nodes.map((node) => ({
    stage: node.stage,
    kind: node.kind,
    status: node.status,
    attempts: node.attempts,
    cached: node.cached,
    startedAt: node.startedAt,
    endedAt: node.endedAt,
    durationMs: node.durationMs,
    worker: node.worker.identity,
    ...(node.backend ? { backend: `${node.backend.name}/${node.backend.device}` } : {}),
    after: [...new Set(graph.edges.filter((e) => e.to === node.stage).map((e) => e.from))],
  }));
}
