/** One structured logger for worker processes; the SDK's own logs go through it at warn and above. */
import { pino, type Logger } from 'pino';
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';

export const log: Logger = pino({ name: 'w2s', level: process.env.W2S_LOG_LEVEL ?? 'info' }, pino.destination(2));

let installed = false;

/** Routes Temporal's runtime logs to our logger. Must run before the first connection or worker. */
export function installRuntimeLogging(): void {
  if (installed) return;
  installed = true;
  Runtime.install({
    logger: new DefaultLogger((process.env.W2S_TEMPORAL_LOG_LEVEL ?? 'WARN') as LogLevel, (entry) => {
      const fields = { sdk: true, ...(entry.meta ?? {}) };
      if (entry.level === 'ERROR') log.error(fields, entry.message);
      else if (entry.level === 'WARN') log.warn(fields, entry.message);
      else log.debug(fields, entry.message);
    }),
  });
}
