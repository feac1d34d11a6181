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
  /** Stop following when aborted (Ctrl-C): the wait rejects with the signal's reason, the run goes on or stops elsewhere. */
  readonly signal?: AbortSignal;
}

export async function followRun(handle: WorkflowHandle, options: FollowOptions): Promise<PipelineResult> {
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  let lastPhase = '';
  let drawn = 0;

  const signal = options.signal;
  const show = async () => {
    const view = await cancellable(handle, signal, () => readRunView(handle));
    if (options.bars) {
      // Without the results: whoever follows the run prints them once it ends, on stdout.
      const text = renderRunView({ ...view, rows: [] });
      process.stderr.write(`${drawn > 0 ? `\x1b[${drawn}A\x1b[0J` : ''}${text}\n`);
      drawn = terminalRows(text, process.stderr.columns);
    } else if (view.phase && view.phase !== lastPhase) {
      lastPhase = view.phase;
      write(`[${handle.workflowId}] ${view.phase}`);
    }
  };

  let done = false;
  const result = cancellable(handle, signal, () => waitForResult<PipelineResult>(handle, {
    onOutage: () => write(`[${handle.workflowId}] the Temporal server is unreachable; waiting for it (the run goes on)`),
    onReconnect: () => write(`[${handle.workflowId}] reconnected`),
  })).finally(() => {
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
  const stopped =
    signal &&
    new Promise<never>((_, reject) => {
      const stop = () => {
        done = true;
        reject(signal.reason);
      };
      if (signal.aborted) stop();
      else signal.addEventListener('abort', stop, { once: true });
    });
  try {
    return await (stopped ? Promise.race([result, stopped]) : result);
  } finally {
    // Stopped: a redraw in flight may wait on a query no worker will answer now; closing the connection ends it.
    if (!signal?.aborted) {
      await poll;
      // The last redraw shows every stage ended; the results table is the caller's to print, once.
      if (options.bars) await show().catch(() => undefined);
    }
  }
}

/**
 * Runs `fn`'s Temporal calls so that aborting `signal` cancels them: a call
 * still in flight when the connection closes would otherwise be retried on
 * the closed channel, which throws. The connection adds a listener per call
 * to the signal it is given and never removes it, so each use gets a signal
 * of its own, dropped with it, rather than the follow's long-lived one.
 */
async function cancellable<T>(handle: WorkflowHandle, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
  if (!signal) return fn();
  const local = new AbortController();
  const forward = () => local.abort(signal.reason);
  if (signal.aborted) forward();
  else signal.addEventListener('abort', forward, { once: true });
  try {
    return await handle.client.connection.withAbortSignal(local.signal, fn);
  } finally {
    signal.removeEventListener('abort', forward);
  }
}

/** How many terminal rows `text` takes: a line wider than the terminal wraps onto more. */
function terminalRows(text: string, columns: number | undefined): number {
  const width = columns && columns > 0 ? columns : Number.POSITIVE_INFINITY;
  return text.split('\n').reduce((rows, line) => rows + Math.max(1, Math.ceil(line.length / width)), 0);
}
