/**
 * Evaluation of one model on held-out shards: accuracy, top-5 (K > 5),
 * agreement with the weak teacher (its soft labels on the same shards,
 * joined by example index) and expected calibration error; and, for the
 * report, the confusion matrix, per-class accuracy and the agreement split
 * by whether the teacher was right (`evaluation-details`).
 */
import { BadInputError } from '../core/errors.js';
import { canonicalJson, sha256Hex } from '../core/hash.js';
import { MetricAccumulator, perClassAccuracy, teacherSplit } from '../ml/metrics/index.js';
import { predictLogits } from '../ml/train/index.js';
import { EVALUATION_DETAILS_ROLE, type EvaluationDetails } from '../schemas/report-data.js';
import type { EvaluateInput, ModelMetrics, ObjectRef, ShardRef } from '../schemas/stages.js';
import { readSoftLabels, type ObjectStore } from '../storage/index.js';
import { evaluationDetailsKey } from '../storage/layout.js';
import { openShardSource } from './data.js';
import type { StageDeps } from './deps.js';
import type { StageRuntime } from './runtime.js';
import { lineageObject, runStage } from './stage.js';
import { putObject } from './stores.js';

export type Evaluation = ModelMetrics & {
  /** Confusion matrix and teacher split, for the report. */
  readonly details: ObjectRef;
  readonly cached: boolean;
};

export async function evaluateModel(input: EvaluateInput, runtime: StageRuntime): Promise<Evaluation> {
  return runStage({
    context: input,
    kind: 'evaluate',
    config: { name: input.name },
    inputs: [
      lineageObject(input.model, 'model'),
      lineageObject(input.manifest, 'manifest'),
      ...input.shards.map((s) => lineageObject(s, 'shard')),
      ...input.teacherLogits.map((s) => lineageObject(s, 'soft-labels')),
    ],
    cacheable: true,
    outputsOf: (out) => [lineageObject(out.details, EVALUATION_DETAILS_ROLE)],
    metricsOf: (out) => ({ accuracy: out.accuracy, agreement: out.agreement, ece: out.ece, examples: out.examples, ...(out.top5 !== undefined ? { top5: out.top5 } : {}) }),
    run: async (store) => {
      const { metrics, details } = await measureInDetail(runtime.deps, store, input.name, input.model, input);
      const json = `${canonicalJson(details)}\n`;
      const ref = await putObject(store, evaluationDetailsKey(input.runId, input.stage, sha256Hex(json)), json, 'application/json');
      return { ...metrics, details: ref, cached: false };
    },
  }, runtime);
}

type EvaluationData = { readonly manifest: ObjectRef; readonly shards: readonly ShardRef[]; readonly teacherLogits?: readonly ShardRef[] };

/** Metrics of a model on shards; shared with promotion, which scores champion and challenger alike. */
export async function measure(deps: StageDeps, store: ObjectStore, name: string, modelRef: ObjectRef, data: EvaluationData): Promise<ModelMetrics> {
  return (await measureInDetail(deps, store, name, modelRef, data)).metrics;
}

async function measureInDetail(deps: StageDeps, store: ObjectStore, name: string, modelRef: ObjectRef, data: EvaluationData): Promise<{ metrics: ModelMetrics; details: EvaluationDetails }> {
  const source = await openShardSource(deps, store, { manifest: data.manifest, shards: data.shards });
  const predictions = await deps.models.with(store, modelRef, (model) => predictLogits(model, source));
  if (!predictions.labels) throw new BadInputError(data.shards[0]?.key ?? 'evaluation split', 'has no labels to evaluate against');
  const teacher = data.teacherLogits?.length ? await teacherRows(store, data.teacherLogits, predictions.index, predictions.numClasses) : undefined;
  const accumulator = new MetricAccumulator({ numClasses: predictions.numClasses });
  accumulator.update({ values: predictions.logits, numClasses: predictions.numClasses }, predictions.labels, teacher ? { values: teacher, numClasses: predictions.numClasses } : undefined);
  const metrics = accumulator.result();
  const logits = { values: predictions.logits, numClasses: predictions.numClasses };
  return {
    metrics: {
      name,
      examples: metrics.count,
      accuracy: metrics.accuracy,
      ...(metrics.topK ? { top5: metrics.topK.accuracy } : {}),
      agreement: metrics.agreement ?? Number.NaN,
      ece: metrics.ece,
    },
    details: {
      version: 1,
      name,
      examples: metrics.count,
      confusion: metrics.confusion,
      perClassAccuracy: perClassAccuracy(metrics.confusion),
      ...(teacher ? { teacher: teacherSplit(logits, predictions.labels, { values: teacher, numClasses: predictions.numClasses }) } : {}),
    },
  };
}

/** The teacher's logits in the order of `index`, refusing any example it did not label. */
async function teacherRows(store: ObjectStore, refs: readonly ShardRef[], index: Uint32Array, numClasses: number): Promise<Float32Array> {
  const rowOf = new Map<number, { logits: Float32Array; row: number }>();
  for (const ref of refs) {
    const shard = await readSoftLabels(store, ref, { numClasses });
    shard.index.forEach((example, row) => rowOf.set(example, { logits: shard.logits, row }));
  }
  const out = new Float32Array(index.length * numClasses);
  index.forEach((example, i) => {
    const at = rowOf.get(example);
    if (!at) throw new BadInputError(refs[0]?.key ?? 'soft labels', `have no teacher logits for example ${example}`);
    out.set(at.logits.subarray(at.row * numClasses, (at.row + 1) * numClasses), i * numClasses);
  });
  return out;
}
