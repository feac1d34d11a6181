/**
 * What every stage does around its own work: derive the stage cache key,
 * reuse cached outputs when they are still intact, and record a lineage
 * record for the attempt (cached, completed or failed). Errors reach the
 * runner as its `StageRuntime.failure` presents them.
 */
import { hostname } from 'node:os';
import { hashJson } from '../core/hash.js';
import { activeBackend } from '../ml/backend.js';
import type { LineageObject, LineageRecord } from '../schemas/lineage.js';
import type { ObjectRef, StageContext } from '../schemas/stages.js';
import { lineageRecordKey } from '../storage/layout.js';
import type { ObjectStore } from '../storage/object-store.js';
import { fillCache, readCache } from './cache.js';
import { codeVersion } from '../core/code-version.js';
import type { StageRuntime } from './runtime.js';

export interface StageSpec<O extends { readonly cached: boolean }> {
  readonly context: StageContext;
  /** Stage kind: `ingest`, `train`, `label`, `evaluate`, `report`, `promote`, `import`. */
  readonly kind: string;
  /** The resolved configuration this stage reads: part of the cache key and of lineage. */
  readonly config: unknown;
  /**
   * The part of `config` that enters the cache key, when the rest only
   * describes (where a source was read from, beside its content hash);
   * default: all of `config`.
   */
  readonly keyConfig?: unknown;
  readonly inputs: readonly LineageObject[];
  /**
   * The inputs whose hashes enter the cache key, when the output depends on
   * less than every recorded input (default: `inputs`). A stage whose config
   * already pins its data by a content hash gives none.
   */
  readonly keyInputs?: readonly LineageObject[];
  /** Stages whose outputs are a pure function of (kind, config, inputs, code) are cached. */
  readonly cacheable: boolean;
  readonly outputsOf: (output: O) => readonly LineageObject[];
  readonly metricsOf?: (output: O) => Readonly<Record<string, number>>;
  readonly resumedFromStep?: (output: O) => number | undefined;
  /**
   * Output fields that are not a function of the cache key (timings, names
   * the config does not fix), with the values a cache hit reports for them.
   */
  readonly runSpecific?: Partial<Omit<O, 'cached'>>;
  readonly run: (store: ObjectStore) => Promise<O>;
}

export function lineageObject(ref: ObjectRef, role: string): LineageObject {
  return { key: ref.key, sha256: ref.sha256, bytes: ref.bytes, role };
}

export function stageCacheKey(kind: string, config: unknown, inputs: readonly LineageObject[]): string {
  return hashJson({ kind, config, inputs: inputs.map((i) => [i.role, i.sha256]), code: codeVersion() });
}

export async function runStage<O extends { readonly cached: boolean }>(spec: StageSpec<O>, runtime: StageRuntime): Promise<O> {
  const store = runtime.deps.storeAt(spec.context.storage);
  const startedAt = new Date().toISOString();
  const cacheKey = stageCacheKey(spec.kind, spec.keyConfig ?? spec.config, spec.keyInputs ?? spec.inputs);

  if (spec.cacheable) {
    const hit = await readCache(store, cacheKey);
    if (hit) {
      const output = { ...hit.result, ...spec.runSpecific, cached: true } as unknown as O;
      await recordLineage(store, spec, runtime, { cacheKey, startedAt, status: 'completed', cached: true, outputs: hit.outputs, output });
      return output;
    }
  }

  let output: O;
  let outputs: readonly LineageObject[];
  try {
    output = await spec.run(store);
    outputs = spec.outputsOf(output);
    // A missing or broken entry is replaced here; a valid one another run wrote meanwhile is kept.
    if (spec.cacheable) await fillCache(store, cacheKey, output as unknown as Readonly<Record<string, unknown>>, outputs, Object.keys(spec.runSpecific ?? {}));
  } catch (error) {
    // Every attempt that ends leaves a record, failures included (best effort: storage may be what failed).
    const failure = runtime.failure(error);
    const type = failureType(failure);
    await recordLineage(store, spec, runtime, { cacheKey, startedAt, status: 'failed', cached: false, outputs: [], error: { type, message: (error as Error).message ?? String(error) } }).catch(() => undefined);
    throw failure;
  }
  await recordLineage(store, spec, runtime, { cacheKey, startedAt, status: 'completed', cached: false, outputs, output });
  return output;
}

interface AttemptOutcome<O> {
  readonly cacheKey: string;
  readonly startedAt: string;
  readonly status: LineageRecord['status'];
  readonly cached: boolean;
  readonly outputs: readonly LineageObject[];
  readonly output?: O;
  readonly error?: LineageRecord['error'];
}

async function recordLineage<O extends { readonly cached: boolean }>(store: ObjectStore, spec: StageSpec<O>, runtime: StageRuntime, outcome: AttemptOutcome<O>): Promise<void> {
  const info = runtime.attempt;
  const backend = activeBackend();
  const resumed = outcome.output !== undefined ? spec.resumedFromStep?.(outcome.output) : undefined;
  const record: LineageRecord = {
    version: 1,
    runId: spec.context.runId,
    workflowId: info.workflowId,
    workflowRunId: info.workflowRunId,
    workflowType: info.workflowType,
    stage: spec.context.stage,
    kind: spec.kind,
    attempt: info.attempt,
    status: outcome.status,
    cached: outcome.cached,
    cacheKey: outcome.cacheKey,
    inputs: [...spec.inputs],
    outputs: [...outcome.outputs],
    config: spec.config,
    codeVersion: codeVersion(),
    backend: backend ? { name: backend.name, device: backend.device, package: backend.package, ...(backend.reason ? { reason: backend.reason } : {}) } : null,
    worker: { identity: runtime.deps.identity(), taskQueue: info.taskQueue, host: hostname(), pid: process.pid },
    startedAt: outcome.startedAt,
    endedAt: new Date().toISOString(),
    metrics: outcome.output !== undefined && spec.metricsOf ? finiteMetrics(spec.metricsOf(outcome.output)) : {},
    ...(resumed !== undefined ? { resumedFromStep: resumed } : {}),
    ...(outcome.error ? { error: outcome.error } : {}),
  };
  await store.put(lineageRecordKey(spec.context.runId, spec.context.stage, info.attempt), `${JSON.stringify(record, null, 2)}\n`, { contentType: 'application/json' });
}

/** JSON has no NaN or infinity (they would be written as `null`): a metric that is not a finite number is one the stage could not measure, so it is left out. */
function finiteMetrics(metrics: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(metrics).filter(([, value]) => Number.isFinite(value)));
}

/** The failure's own type when it names one (the runner's failure types do), else its class name. */
function failureType(failure: unknown): string {
  if (typeof failure === 'object' && failure !== null && 'type' in failure && typeof failure.type === 'string' && failure.type) return failure.type;
  return failure instanceof Error ? failure.name : 'Error';
}
