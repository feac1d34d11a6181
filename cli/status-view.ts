/**
 * The text of `w2s status` and of `run --wait`'s live view: one line for
 * the run, then every stage in pipeline order with its status, duration,
 * attempt and worker, each training's epoch, step, loss, speed and ETA, and
 * the last error of any stage that has one. Labeling shards fold into one
 * line per split, so a run of thousands of shards still fits a screen; a
 * shard that is retrying or has failed keeps a line of its own, and one that
 * succeeded after a retry is counted in its split's line as retried.
 */
import { formatResults } from '../report/table.js';
import { labelStageSplit } from '../schemas/plan.js';
import type { RunView, StageView, TrainingView } from './run-view.js';

export function renderRunView(view: RunView, now: Date = new Date()): string {
  const elapsed = seconds(view.startTime, view.closeTime ?? now.toISOString());
  const lines = [`${view.runId}: ${view.status}${view.phase ? `, phase ${view.phase}` : ''} (started ${clock(view.startTime)}, ${duration(elapsed)}${view.closeTime ? '' : ' so far'})`];
  if (view.failure) lines.push(`  failed: ${view.failure}`);
  if (view.workflowTask) {
    lines.push(`  stuck: its workflow task has failed ${view.workflowTask.attempt - 1} time(s) and is retried until fixed${view.workflowTask.failure ? `: ${oneLine(view.workflowTask.failure)}` : ''}`);
  }
  for (const queue of view.unpolledQueues ?? []) lines.push(`  waiting: no worker polling ${queue} (start one: w2s worker --queues ${queue})`);
  if (view.promotion) lines.push(`  ${view.promotion}`);
  if (view.stages.length) lines.push(`  ${'stage'.padEnd(STAGE_WIDTH)} ${'status'.padEnd(9)} ${'duration'.padStart(9)}  attempt  progress`);
  for (const row of foldLabeling(view.stages, now)) {
    if (typeof row === 'string') {
      lines.push(row);
      continue;
    }
    lines.push(stageLine(row, now));
    if (row.lastError) lines.push(`    last error${row.attempt && row.status !== 'failed' ? ` (attempt ${row.attempt - 1})` : ''}: ${oneLine(row.lastError)}`);
  }
  if (view.rows.length) lines.push('', formatResults([...view.rows]));
  return lines.join('\n');
}

const STAGE_WIDTH = 28;

function stageLine(stage: StageView, now: Date): string {
  const end = stage.endedAt ?? (stage.status === 'running' ? now.toISOString() : undefined);
  const took = stage.startedAt && end ? duration(seconds(stage.startedAt, end)) : '';
  const attempt = stage.attempt ? `${stage.attempt}${stage.maximumAttempts ? `/${stage.maximumAttempts}` : ''}` : '';
  const detail = stage.training ? trainingLine(stage.training) : stage.nextAttemptAt ? `retrying at ${clock(stage.nextAttemptAt)}` : stage.status === 'running' && stage.worker ? `on ${stage.worker}` : '';
  return `  ${stage.name.padEnd(STAGE_WIDTH)} ${stage.status.padEnd(9)} ${took.padStart(9)}  ${attempt.padStart(7)}  ${detail}`.trimEnd();
}

export function trainingLine(t: TrainingView): string {
  const eta = t.etaSeconds !== undefined ? `, ETA ${duration(t.etaSeconds)}` : '';
  return `epoch ${t.epoch}/${t.epochs}, step ${t.step}/${t.totalSteps}, loss ${t.loss.toFixed(4)}, ${t.imagesPerSecond.toFixed(0)} img/s, elapsed ${duration(t.elapsedSeconds)}${eta}`;
}

/** Labeling shards become one line per split, except those with something to act on: retrying now, or failed. */
function foldLabeling(stages: readonly StageView[], now: Date): Array<StageView | string> {
  const out: Array<StageView | string> = [];
  const folded = new Map<string, { index: number; shards: StageView[] }>();
  for (const stage of stages) {
    const split = labelStageSplit(stage.name);
    const plain = split !== undefined && stage.status !== 'failed' && !(stage.status === 'running' && retried(stage));
    if (!plain) {
      out.push(stage);
      continue;
    }
    let group = folded.get(split);
    if (!group) {
      group = { index: out.length, shards: [] };
      folded.set(split, group);
      out.push('');
    }
    group.shards.push(stage);
  }
  for (const [split, { index, shards }] of folded) {
    const count = (status: string) => shards.filter((s) => s.status === status).length;
    const finished = count('completed') + count('cached');
    const status = finished === shards.length ? 'completed' : count('pending') === shards.length ? 'pending' : 'running';
    const starts = shards.flatMap((s) => (s.startedAt ? [s.startedAt] : [])).sort();
    const ends = shards.flatMap((s) => (s.endedAt ? [s.endedAt] : [])).sort();
    const took = starts[0] && (finished === shards.length ? ends[ends.length - 1] : now.toISOString());
    const span = starts[0] && took ? duration(seconds(starts[0], took)) : '';
    const name = `label-${split} (${shards.length} shards)`;
    const again = shards.filter(retried).length;
    out[index] = `  ${name.padEnd(STAGE_WIDTH)} ${status.padEnd(9)} ${span.padStart(9)}  ${''.padStart(7)}  ${finished}/${shards.length} labeled${count('cached') ? `, ${count('cached')} cached` : ''}${again ? `, ${again} retried` : ''}`.trimEnd();
  }
  return out;
}

/** A stage that needed more than one attempt, or whose last attempt failed. */
function retried(stage: StageView): boolean {
  return stage.lastError !== undefined || (stage.attempt ?? 1) > 1;
}

function seconds(from: string, to: string): number {
  return Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000);
}

/** 0.4s, 12.3s, 4m 05s, 3h 12m, 2d 04h. */
export function duration(total: number): string {
  if (total < 60) return `${total.toFixed(1)}s`;
  const s = Math.round(total);
  const [d, h, m, sec] = [Math.floor(s / 86400), Math.floor((s % 86400) / 3600), Math.floor((s % 3600) / 60), s % 60];
  if (d > 0) return `${d}d ${String(h).padStart(2, '0')}h`;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  return `${m}m ${String(sec).padStart(2, '0')}s`;
}

/** UTC date and time to the second: `2026-11-30 13:20:01 UTC`. */
export function clock(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' | ');
}
