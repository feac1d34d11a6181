/**
 * Follows a running pipeline until its result: on a terminal, the live view
 * of `w2s status` (every stage, each training's progress and ETA) redrawn in
 * place; otherwise (logs, pipes) one line per phase change.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { PipelineResult } from '../schemas/stages.js';
import { readRunView } from './run-view.js';
import { renderRunView } from './status-view.js';
import { waitForResult } from './wait-result.js';

export interface FollowOptions {
  /** Redraw the live view (a terminal) or print phase changes (logs, pipes). */
  readonly bars: boolean;
  readonly pollMs?: number;
  readonly write?: (line: string) => void;
}

export async function followRun(handle: WorkflowHandle, options: FollowOptions): Promise<PipelineResult> {
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  let lastPhase = '';
  let drawn = 0;

  const show = async () => {
    const view = await readRunView(handle);
    if (options.bars) {
      const text = renderRunView(view);
      process.stderr.write(`${drawn > 0 ? `\x1b[${drawn}A\x1b[0J` : ''}${text}\n`);
      drawn = text.split('\n').length;
    } else if (view.phase && view.phase !== lastPhase) {
      lastPhase = view.phase;
      write(`[${handle.workflowId}] ${view.phase}`);
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
        await show();
      } catch {
        // The view races the end of the run (or a server restart); the result settles it.
      }
      await Promise.race([result.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1000))]);
    }
  })();
  try {
    return await result;
  } finally {
    await poll;
    // The last redraw shows every stage ended.
    if (options.bars) await show().catch(() => undefined);
  }
}
