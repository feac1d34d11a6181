/**
 * Stops a worker process once it has had nothing to do for a while, so a
 * worker started for queued work (a KEDA ScaledJob's pod, a Cloud Run job)
 * ends by itself when the work is done instead of holding a GPU. Unlike
 * scaling a Deployment down, nothing running is ever interrupted: the clock
 * only runs while no activity is in flight.
 */

/** What the idle clock watches: a count of activities in flight (the SDK's `Worker.numInFlightActivities$`). */
export interface InFlightCounts {
  subscribe(next: (count: number) => void): { unsubscribe(): void };
}

export interface IdleExit {
  /** Stops watching (the process is shutting down for another reason). */
  cancel(): void;
}

/**
 * Calls `onIdle` once, after every counter has stayed at zero for `idleMs`.
 * Any activity starting meanwhile restarts the clock when the last one ends.
 */
export function exitWhenIdle(counters: readonly InFlightCounts[], idleMs: number, onIdle: () => void): IdleExit {
  if (!Number.isFinite(idleMs) || idleMs <= 0) throw new Error(`idle time ${idleMs} ms: must be a positive number`);
  const counts = counters.map(() => 0);
  let timer: NodeJS.Timeout | undefined;
  let done = false;
  const update = (): void => {
    if (done) return;
    const busy = counts.some((n) => n > 0);
    if (busy && timer) {
      clearTimeout(timer);
      timer = undefined;
    } else if (!busy && !timer) {
      timer = setTimeout(() => {
        done = true;
        subscriptions.forEach((s) => s.unsubscribe());
        onIdle();
      }, idleMs);
    }
  };
  const subscriptions = counters.map((counter, i) =>
    counter.subscribe((count) => {
      counts[i] = count;
      update();
    }),
  );
  update();
  return {
    cancel() {
      done = true;
      if (timer) clearTimeout(timer);
      subscriptions.forEach((s) => s.unsubscribe());
    },
  };
}

/** `W2S_EXIT_WHEN_IDLE_SECONDS` as milliseconds, or undefined when unset. */
export function idleMsFrom(value: string | undefined, where = 'W2S_EXIT_WHEN_IDLE_SECONDS'): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`${where}: "${value}" is not a positive number of seconds`);
  return seconds * 1000;
}
