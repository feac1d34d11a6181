/**
 * The backbones a run's students start from (`strong.init` or a student's
 * `init`), as the run plan lists them (schemas/plan.ts): the stage that
 * provides each (a `pretrain` stage on the training queue, or an import of
 * a stored one) runs here, and each student is handed its own.
 */
import type { RunConfig } from '../schemas/pipeline.js';
import type { SplitName } from '../schemas/manifest.js';
import type { BackbonePlan, BackboneSource } from '../schemas/plan.js';
import type { PretrainConfig } from '../schemas/pretrain.js';
import type { IngestOutput, ObjectRef, PretrainOutput, StudentBackbone } from '../schemas/stages.js';
import { type cpuStages, stageCall, type trainingStages } from './activities.js';

/**
 * SimCLR: every training image (W, S, validation and pool) of the run's
 * dataset, or of the pretraining's own (`init.pretrain.dataset`), never a
 * label; the test images stay unseen. Whatever the seed or split fractions,
 * these are the same images for a source with its own test set, so one
 * pretraining serves all such runs.
 * Supervised: images and labels of the pool split only, which teacher and
 * students never see (or every training split of the pretraining's own
 * dataset, which the task never sees).
 */
const UNLABELED_SPLITS = ['weak', 'transfer', 'validation', 'pool'] as const;
const LABELED_SPLITS = ['pool'] as const;

function pretrainSplits(pretrain: PretrainConfig, ownDataset: boolean): readonly SplitName[] {
  return pretrain.method === 'supervised' && !ownDataset ? LABELED_SPLITS : UNLABELED_SPLITS;
}

export interface ProvidedBackbone {
  readonly source: BackboneSource;
  readonly model: ObjectRef;
  readonly cached: boolean;
  /** The pretraining's own report; absent for an imported backbone. */
  readonly pretrained?: PretrainOutput;
}

export interface BackboneStages {
  readonly cpu: ReturnType<typeof cpuStages>;
  readonly training: ReturnType<typeof trainingStages>;
  /** Runs one stage under the caller's progress tracking. */
  readonly track: <T>(stage: string, fn: () => Promise<T>) => Promise<T>;
}

/** Runs the stage of every backbone source (one after another: each takes the training workers); keyed by stage name. */
export async function provideBackbones(config: RunConfig, runId: string, data: IngestOutput, sources: readonly BackboneSource[], stages: BackboneStages): Promise<Map<string, ProvidedBackbone>> {
  const provided = new Map<string, ProvidedBackbone>();
  const context = (stage: string) => ({ runId, storage: config.storage, stage });
  for (const source of sources) {
    if (source.kind === 'pretrain') {
      const { dataset, ...pretrain } = source.pretrain;
      // Transfer: the pretraining's own data, ingested as a stage of its own; the images' hash keys the pretraining, not where they came from.
      const images = dataset
        ? await stages.track(`ingest-${source.stage}`, () => stages.cpu.ingest.executeWithOptions(stageCall(`ingest-${source.stage}`, `ingest the pretraining data ${dataset.source}`), [{ ...context(`ingest-${source.stage}`), dataset, seed: pretrain.seed, field: 'init.pretrain.dataset' }]))
        : data;
      const out = await stages.track(source.stage, () =>
        stages.training.pretrainBackbone.executeWithOptions(stageCall(source.stage, `pretrain a ${source.model} backbone (${pretrain.method}, ${pretrain.epochs} epochs)`), [
          {
            ...context(source.stage),
            model: source.model,
            pretrain,
            manifest: images.manifest,
            shards: pretrainSplits(source.pretrain, dataset !== undefined).flatMap((split) => [...(images.splits[split] ?? [])]),
            execution: config.execution,
            ...(dataset ? { taskShape: data.shape } : {}),
          },
        ]),
      );
      provided.set(source.stage, { source, model: out.backbone, cached: out.cached, pretrained: out });
    } else if (source.kind === 'layers') {
      const { imported, field, modes } = source;
      const out = await stages.track(source.stage, () =>
        stages.cpu.importLayersModel.executeWithOptions(stageCall(source.stage, `import the model at ${imported.uri}`), [{ ...context(source.stage), imported, dataShape: data.shape, field, modes }]),
      );
      provided.set(source.stage, { source, model: { key: out.key, sha256: out.sha256, bytes: out.bytes }, cached: out.cached });
    } else {
      const out = await stages.track(source.stage, () => stages.cpu.importModel.executeWithOptions(stageCall(source.stage, `import a backbone from ${source.uri}`), [{ ...context(source.stage), uri: source.uri, field: 'init.pretrained' }]));
      provided.set(source.stage, { source, model: { key: out.key, sha256: out.sha256, bytes: out.bytes }, cached: out.cached });
    }
  }
  return provided;
}

/** The backbone a student trains from, or undefined for a student from scratch. */
export function studentBackbone(plan: BackbonePlan, provided: ReadonlyMap<string, ProvidedBackbone>, name: string): StudentBackbone | undefined {
  const wanted = plan.students[name];
  if (!wanted) return undefined;
  const backbone = provided.get(wanted.stage);
  if (!backbone) throw new Error(`student ${name}: backbone stage ${wanted.stage} did not run`);
  return { model: backbone.model, mode: wanted.mode, ...(backbone.source.kind === 'layers' ? { kind: 'imported' as const } : {}) };
}
