/**
 * The run's stages as a reader wants them: labeling runs one stage per shard
 * (hundreds, each under a second), which would bury the handful of stages
 * that matter in the stages table and the time line. Shards of one split that
 * went smoothly (one attempt, not failed) fold into one row spanning them; a
 * shard that retried or failed keeps its own row, as in `w2s status`.
 */
import { labelStageSplit } from '../schemas/plan.js';
import type { StageRow } from './content.js';

export function foldLabelShards(stages: readonly StageRow[]): StageRow[] {
  const groupOf = new Map<string, string>();
  const groups = new Map<string, StageRow[]>();
  const out: Array<StageRow | string> = [];
  for (const stage of stages) {
    const split = labelStageSplit(stage.stage);
    if (split === undefined || stage.attempts > 1 || stage.status === 'failed') {
      out.push(stage);
      continue;
    }
    const name = `label-${split}`;
    if (!groups.has(name)) {
      groups.set(name, []);
      out.push(name);
    }
    groups.get(name)!.push(stage);
    groupOf.set(stage.stage, name);
  }
  const rename = (after: readonly string[]) => [...new Set(after.map((s) => groupOf.get(s) ?? s))];
  return out.map((entry) => {
    if (typeof entry !== 'string') return { ...entry, after: rename(entry.after) };
    const shards = groups.get(entry)!;
    const started = shards.map((s) => s.startedAt).sort()[0]!;
    const ended = shards.map((s) => s.endedAt).sort().at(-1)!;
    const cached = shards.filter((s) => s.cached).length;
    const distinct = (values: ReadonlyArray<string | undefined>) => [...new Set(values.filter((v): v is string => v !== undefined))];
    const workers = distinct(shards.map((s) => s.worker));
    const backends = distinct(shards.map((s) => s.backend));
    return {
      stage: `${entry} (${shards.length} shard${shards.length === 1 ? '' : 's'})`,
      kind: shards[0]!.kind,
      status: cached === shards.length ? 'cached' : cached > 0 ? `completed, ${cached} cached` : 'completed',
      attempts: 1,
      cached: cached === shards.length,
      startedAt: started,
      endedAt: ended,
      // From the first shard's start to the last one's end: shards run side by side, so their sum would overstate it.
      durationMs: Date.parse(ended) - Date.parse(started),
      worker: workers.length === 1 ? workers[0]! : `${workers.length} workers`,
      ...(backends.length ? { backend: backends.join(', ') } : {}),
      after: rename(shards.flatMap((s) => s.after)),
    };
  });
}
