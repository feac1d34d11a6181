/**
 * Runtimes for stopping a stage midway and retrying it, as a cancel (or a
 * worker shutting down) and Temporal's next attempt would, without a server.
 */
import { localRuntime, type StageRuntime } from '../../stages/index.js';

/** A local runtime that stops its stage once a heartbeat reports a step past `afterStep`; the stage writes a checkpoint first. */
export function stoppingAfter(afterStep: number): StageRuntime {
  const stop = new AbortController();
  return {
    ...localRuntime({ signal: stop.signal }),
    heartbeat: (details) => {
      if (((details as { step?: number } | undefined)?.step ?? 0) > afterStep) stop.abort();
    },
  };
}

/** A local runtime for the stage's second attempt, which resumes from the first one's checkpoint. */
export function secondAttempt(options: { readonly warn?: (message: string) => void } = {}): StageRuntime {
  const retry = localRuntime(options);
  return { ...retry, attempt: { ...retry.attempt, attempt: 2 } };
}
