/**
 * Follows a running pipeline: progress bars (labeling, each student's steps)
 * on a terminal, one line per phase change otherwise, until the result.
 */
import cliProgress from 'cli-progress';
import type { WorkflowHandle } from '@temporalio/client';
import { PROGRESS_QUERY } from '../schemas/names.js';
import type { PipelineProgress, PipelineResult } from '../schemas/stages.js';
import { waitForResult } from './wait-result.js';

export interface FollowOptions {
  /** Draw bars (a terminal) or print phase changes (logs, pipes). */
  readonly bars: boolean;
  readonly pollMs?: number;
  readonly write?: (line: string) => void;
}

export async function followRun(handle: WorkflowHandle, options: FollowOptions): Promise<PipelineResult> {
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const bars = options.bars ? new cliProgress.MultiBar({ format: ' {name} |{bar}| {value}/{total} {info}', hideCursor: true, clearOnComplete: false }, cliProgress.Presets.shades_classic) : undefined;
  const shown = new Map<string, cliProgress.SingleBar>();
  let lastPhase = '';

  const show = (progress: PipelineProgress) => {
    if (progress.phase !== lastPhase) {
      lastPhase = progress.phase;
      if (!bars) write(`[${handle.workflowId}] ${progress.phase}`);
    }
    if (!bars) return;
    const update = (key: string, value: number, total: number, info: string) => {
      let bar = shown.get(key);
      if (!bar) {
        bar = bars.create(Math.max(total, 1), 0, { name: key.padEnd(18), info: '' });
        shown.set(key, bar);
      }
      bar.setTotal(Math.max(total, 1));
      bar.update(value, { info });
    };
    if (progress.labeling.total > 0) update('label', progress.labeling.done, progress.labeling.total, 'shards');
    for (const [name, p] of Object.entries(progress.training)) {
      update(`train ${name}`, p.step, p.totalSteps, `epoch ${p.epoch} loss ${p.loss.toFixed(4)} ${p.imagesPerSecond.toFixed(0)} img/s`);
    }
  };

  let done = false;
  const result = waitForResult<PipelineResult>(handle, {
    onOutage: () => write(`[${handle.workflowId}] the Temporal server is unreachable; waiting for it (the run goes on)`),
    onReconnect: () => write(`[${handle.workflowId}] reconnected`),
  }).finally(() => {
    done = true;
  });
  const poll = (async () => {
    while (!done) {
      try {
        show(await handle.query<PipelineProgress>(PROGRESS_QUERY));
      } catch {
        // The query races the end of the run (or a server restart); the result settles it.
      }
      await Promise.race([result.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1000))]);
    }
  })();
  try {
    return await result;
  } finally {
    await poll;
    bars?.stop();
  }
}
