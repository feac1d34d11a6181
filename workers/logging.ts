/**
 * One structured logger for worker processes; the SDK's own logs go through
 * it at warn and above. The SDK's runtime is installed here, once per
 * process, with a Prometheus endpoint when a metrics address is given.
 */
import { pino, type Logger } from 'pino';
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';

export const log: Logger = pino({ name: 'w2s', level: process.env.W2S_LOG_LEVEL ?? 'info' }, pino.destination(2));

let installed = false;

export interface RuntimeOptions {
  /** Serve the SDK's metrics and the training metrics for Prometheus at `http://<address>/metrics`, e.g. `0.0.0.0:9464`. */
  readonly metricsBindAddress?: string;
}

/** Routes Temporal's runtime logs to our logger (and turns on metrics). Must run before the first connection or worker. */
export function installRuntimeLogging(options: RuntimeOptions = {}): void {
  if (installed) {
    if (options.metricsBindAddress) throw new Error('metrics must be configured before the first Temporal connection of this process');
    return;
  }
  installed = true;
  Runtime.install({
    logger: new DefaultLogger((process.env.W2S_TEMPORAL_LOG_LEVEL ?? 'WARN') as LogLevel, (entry) => {
      const fields = { sdk: true, ...(entry.meta ?? {}) };
      if (entry.level === 'ERROR') log.error(fields, entry.message);
      else if (entry.level === 'WARN') log.warn(fields, entry.message);
      else log.debug(fields, entry.message);
    }),
    // Durations in seconds and `_total` counters, as Prometheus users expect; our metric names carry their unit themselves.
    ...(options.metricsBindAddress
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: options.metricsBindAddress, countersTotalSuffix: true, useSecondsForDurations: true } } } }
      : {}),
  });
}
