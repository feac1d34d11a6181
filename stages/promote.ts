/**
 * Promotion after a retrain: the challenger replaces the registry's champion
 * only if it beats it on the held-out split. Both are scored now, on the
 * same (current) split, so a changed dataset cannot favour either. The
 * decision and its reason are recorded whether or not it promotes; the
 * registry pointer moves by compare-and-swap, so two racing retrains cannot
 * both win. The decision record is written once per run, after the pointer
 * has moved: an attempt that loses the race writes nothing and its retry
 * decides again against the new champion.
 */
import { canonicalJson } from '../core/hash.js';
import type { ObjectRef, PromoteInput, PromotionDecision } from '../schemas/stages.js';
import { PreconditionFailedError } from '../storage/index.js';
import { promotionDecisionKey, registryKey } from '../storage/layout.js';
import { measure } from './evaluate.js';
import { RaceLostError, type StageRuntime } from './runtime.js';
import { lineageObject, runStage } from './stage.js';
import { putObject, storedRef } from './stores.js';

interface RegistryEntry {
  readonly runId: string;
  readonly model: ObjectRef;
  readonly accuracy: number;
  readonly split: string;
  readonly promotedAt: string;
}

export type Promotion = PromotionDecision & { readonly cached: boolean };

export async function promote(input: PromoteInput, runtime: StageRuntime): Promise<Promotion> {
  return runStage({
    context: input,
    kind: 'promote',
    config: { registry: input.registry, split: input.split, minGain: input.minGain },
    inputs: [lineageObject(input.challenger.model, 'challenger'), lineageObject(input.manifest, 'manifest'), ...input.shards.map((s) => lineageObject(s, 'shard'))],
    cacheable: false,
    outputsOf: (out) => [lineageObject(out.record, 'decision')],
    metricsOf: (out) => ({ promoted: out.promoted ? 1 : 0, challengerAccuracy: out.challenger.accuracy, ...(out.champion ? { championAccuracy: out.champion.accuracy } : {}) }),
    run: async (store) => {
      const pointerKey = registryKey(input.registry);
      const recordKey = promotionDecisionKey(input.registry, input.runId);
      // An earlier attempt decided and recorded, then failed (e.g. writing lineage): its decision stands.
      if (await store.exists(recordKey)) {
        const info = await store.stat(recordKey);
        const recorded = JSON.parse(new TextDecoder().decode(await store.get(recordKey))) as Omit<PromotionDecision, 'record'>;
        return { ...recorded, record: { key: info.key, sha256: info.sha256, bytes: info.size }, cached: false };
      }
      const pointer = await store.readPointer(pointerKey);
      const stored = pointer ? (JSON.parse(new TextDecoder().decode(pointer.data)) as RegistryEntry) : undefined;
      const champion = stored ? { ...stored, model: storedRef(store, stored.model) } : undefined;
      const data = { manifest: input.manifest, shards: input.shards };
      const challengerAccuracy = (await measure(runtime.deps, store, input.challenger.name, input.challenger.model, data)).accuracy;
      const championAccuracy = champion ? (await measure(runtime.deps, store, 'champion', champion.model, data)).accuracy : undefined;

      // An earlier attempt of this run moved the pointer and stopped before recording: that promotion stands.
      const alreadyPromoted = champion?.runId === input.runId && champion.model.sha256 === input.challenger.model.sha256;
      const { promoted, reason } = alreadyPromoted
        ? { promoted: true, reason: `an earlier attempt of this run promoted the challenger; it scores ${(100 * challengerAccuracy).toFixed(2)}% on ${input.split}` }
        : decide(input, champion, challengerAccuracy, championAccuracy);
      const decidedAt = new Date().toISOString();
      const decision = {
        registry: input.registry,
        promoted,
        reason,
        challenger: { runId: input.runId, model: input.challenger.model, accuracy: challengerAccuracy },
        champion: champion && championAccuracy !== undefined && !alreadyPromoted ? { runId: champion.runId, model: champion.model, accuracy: championAccuracy } : null,
        split: input.split,
        decidedAt,
      };
      if (promoted && !alreadyPromoted) {
        const entry: RegistryEntry = { runId: input.runId, model: input.challenger.model, accuracy: challengerAccuracy, split: input.split, promotedAt: decidedAt };
        try {
          await store.writePointer(pointerKey, `${canonicalJson(entry)}\n`, pointer?.version ?? null);
        } catch (error) {
          // Another retrain promoted in between. Nothing is recorded yet: the retry re-reads the new champion and decides again.
          if (error instanceof PreconditionFailedError) throw new RaceLostError(error.message, 'RegistryMoved');
          throw error;
        }
      }
      const record = await putObject(store, recordKey, `${canonicalJson(decision)}\n`, 'application/json');
      return { ...decision, record, cached: false };
    },
  }, runtime);
}

function decide(input: PromoteInput, champion: RegistryEntry | undefined, challenger: number, championAccuracy: number | undefined): { promoted: boolean; reason: string } {
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  if (!champion || championAccuracy === undefined) return { promoted: true, reason: `no champion in registry ${input.registry}; challenger scores ${pct(challenger)} on ${input.split}` };
  if (champion.model.sha256 === input.challenger.model.sha256) return { promoted: false, reason: `challenger is the champion's own model (${champion.model.sha256.slice(0, 12)}): nothing changed` };
  const gain = challenger - championAccuracy;
  if (gain > input.minGain) return { promoted: true, reason: `challenger ${pct(challenger)} beats champion ${pct(championAccuracy)} by ${pct(gain)} on ${input.split} (needed more than ${pct(input.minGain)})` };
  return { promoted: false, reason: `challenger ${pct(challenger)} does not beat champion ${pct(championAccuracy)} by more than ${pct(input.minGain)} on ${input.split}` };
}
