/**
 * Labeling, one activity per shard: the weak teacher's logits for every
 * example of an image shard, written as a soft-label shard keyed by index
 * and stamped with the teacher's hash.
 */
import { predictLogits } from '../ml/train/index.js';
import type { LabelInput, ShardRef } from '../schemas/stages.js';
import { writeSoftLabels } from '../storage/index.js';
import { softLabelShardKey } from '../storage/layout.js';
import { manifestOf, openShardSource } from './data.js';
import type { StageRuntime } from './runtime.js';
import { lineageObject, runStage } from './stage.js';

export type LabeledShard = ShardRef & { readonly cached: boolean };

export async function labelShard(input: LabelInput, runtime: StageRuntime): Promise<LabeledShard> {
  return runStage({
    context: input,
    kind: 'label',
    config: { batchSize: input.batchSize },
    inputs: [lineageObject(input.teacher, 'teacher'), lineageObject(input.manifest, 'manifest'), lineageObject(input.shard, 'shard')],
    cacheable: true,
    outputsOf: (out) => [lineageObject(out, 'soft-labels')],
    metricsOf: (out) => ({ rows: out.rows }),
    run: async (store) => {
      const manifest = await manifestOf(runtime.deps, store, input.manifest);
      const source = await openShardSource(runtime.deps, store, { manifest: input.manifest, shards: [input.shard] });
      runtime.heartbeat();
      const predictions = await runtime.deps.models.with(store, input.teacher, (teacher) => predictLogits(teacher, source, { batchSize: input.batchSize }));
      const key = softLabelShardKey(input.runId, input.teacher.sha256, input.shard.split, input.shard.index);
      const ref = await writeSoftLabels(store, key, {
        metadata: { teacherSha256: input.teacher.sha256, numClasses: predictions.numClasses, datasetId: manifest.datasetId, split: input.shard.split },
        index: predictions.index,
        logits: predictions.logits,
      });
      return { ...ref, split: input.shard.split, index: input.shard.index, rows: predictions.index.length, cached: false };
    },
  }, runtime);
}
