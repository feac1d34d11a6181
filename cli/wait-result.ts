/**
 * Waits for a workflow's result across Temporal server outages: while the
 * server cannot be reached the wait retries with backoff (the connection
 * reconnects by itself), and only a failure of the run itself, or an outage
 * longer than `patienceMs`, ends it.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { isServerUnreachable } from './failure.js';

export interface WaitOptions {
  /** How long an outage may last before the wait gives up. */
  readonly patienceMs?: number;
  readonly onOutage?: (error: unknown) => void;
  readonly onReconnect?: () => void;
}

const FIRST_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 10_000;

export async function waitForResult<T>(handle: WorkflowHandle, options: WaitOptions = {}): Promise<T> {
  const patience = options.patienceMs ?? 15 * 60_000;
  let outageSince: number | undefined;
  let backoff = FIRST_BACKOFF_MS;
  for (;;) {
    try {
      return (await handle.result()) as T;
    } catch (error) {
      if (!isServerUnreachable(error)) throw error;
      const now = Date.now();
      if (outageSince === undefined) {
        outageSince = now;
        options.onOutage?.(error);
      } else if (now - outageSince > patience) {
        throw new Error(`the Temporal server has been unreachable for ${Math.round((now - outageSince) / 1000)} s; the run ${handle.workflowId} goes on without this client (w2s status ${handle.workflowId})`, { cause: error });
      }
      // A pause between attempts: the server is down, and asking again at once would spin.
      await new Promise((resolve) => setTimeout(resolve, backoff));
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      // Once the server answers again the outage is over: say so, and start the next one's clock afresh.
      if (await serverAnswers(handle)) {
        outageSince = undefined;
        backoff = FIRST_BACKOFF_MS;
        options.onReconnect?.();
      }
    }
  }
}

async function serverAnswers(handle: WorkflowHandle): Promise<boolean> {
  try {
    await handle.describe();
    return true;
  } catch (error) {
    if (isServerUnreachable(error)) return false;
    throw error;
  }
}
