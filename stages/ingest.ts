/**
 * Ingest: the source (a folder on the worker or a `gs://` prefix) becomes content-addressed Arrow shards and a
 * manifest. It always re-reads the source (that is how a retrain notices new
 * data); unchanged data gives byte-identical shards and the same dataset id,
 * so every later stage is a cache hit.
 */
import { BadInputError } from '../core/errors.js';
import { IngestOptionsSchema } from '../schemas/manifest.js';
import type { IngestInput, IngestOutput } from '../schemas/stages.js';
import { datasetRefs, ingestDataset } from '../storage/index.js';
import type { StageRuntime } from './runtime.js';
import { lineageObject, runStage } from './stage.js';

export async function ingest(input: IngestInput, runtime: StageRuntime): Promise<IngestOutput> {
  const { source, format, ...options } = input.dataset;
  return runStage({
    context: input,
    kind: 'ingest',
    config: { dataset: input.dataset, seed: input.seed },
    inputs: [],
    cacheable: false,
    outputsOf: (out) => [lineageObject(out.manifest, 'manifest'), ...Object.values(out.splits).flatMap((shards) => shards.map((s) => lineageObject(s, 'shard')))],
    metricsOf: (out) => Object.fromEntries(Object.entries(out.splits).map(([split, shards]) => [`rows.${split}`, shards.reduce((n, s) => n + s.rows, 0)])),
    run: async (store) => {
      const manifest = await ingestDataset({
        // A folder on the worker, or a storage URI read through the worker's shared store clients.
        source,
        openSourceStore: runtime.deps.storeAt,
        format,
        options,
        store,
        seed: input.seed,
        onProgress: (progress) => runtime.heartbeat(progress),
        onWarning: (message) => runtime.warn(message),
      }).catch((error: unknown) => {
        throw inField(error, input.field ?? 'dataset');
      });
      const refs = await datasetRefs(store, manifest);
      return {
        datasetId: manifest.datasetId,
        manifest: refs.manifest,
        numClasses: manifest.classes.length,
        classNames: manifest.classes,
        shape: manifest.shape,
        splits: refs.splits,
        cached: false,
      };
    },
  }, runtime);
}

/** An error about one of the dataset's options, named by its config field (`init.pretrain.dataset.classes`), so a run with two datasets says which. */
function inField(error: unknown, field: string): unknown {
  if (!(error instanceof BadInputError)) return error;
  const option = error.where.split('.')[0]!;
  if (!(option in IngestOptionsSchema.shape)) return error;
  return new BadInputError(`${field}.${error.where}`, error.message.slice(error.where.length + 2), { cause: error });
}
