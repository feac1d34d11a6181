/**
 * One structured logger for worker processes; the SDK's own logs go through
 * it at warn and above. The SDK's runtime is installed here, once per
 * process, with a Prometheus endpoint when a metrics address is given.
 *
 * Workers in a cluster log JSON lines to stderr, where the platform collects
 * them. A local run in a terminal redraws its live view on stderr, which JSON
 * lines from its in-process workers would break: it sends them to a file
 * instead (`logToFile`). The level is W2S_LOG_LEVEL (default info) or the
 * CLI's --log-level.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { pino, type DestinationStream, type Level, type Logger } from 'pino';
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';

export const LOG_LEVELS: readonly Level[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

/** Where log lines go now; swapped by `logToFile` (a pino logger's destination is fixed when it is made). */
let destination: DestinationStream = pino.destination({ dest: 2, sync: true });
const switchable: DestinationStream = { write: (line: string) => destination.write(line) };

export const log: Logger = pino({ name: 'w2s', level: process.env.W2S_LOG_LEVEL ?? 'info' }, switchable);

/** Sends this process's log lines (the workers', the SDK's) to `file`, appending; returns a function that flushes it. */
export function logToFile(file: string): () => void {
  mkdirSync(dirname(file), { recursive: true });
  const stream = pino.destination({ dest: file, append: true, sync: true });
  destination = stream;
  return () => stream.flushSync();
}

/** Sets the level of every later line, e.g. from --log-level. */
export function setLogLevel(level: string): void {
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new Error(`log level ${JSON.stringify(level)}: expected one of ${LOG_LEVELS.join(', ')}`);
  log.level = level;
}

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
