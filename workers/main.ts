#!/usr/bin/env node
/**
 * A worker process for deployments: `W2S_QUEUES=w2s-gpu node dist/workers/main.js`.
 * Connection settings come from the TEMPORAL_* environment (see core/temporal-settings.ts);
 * W2S_HEALTH_PORT turns on the health endpoint for probes (see health.ts),
 * W2S_METRICS_PORT the Prometheus metrics endpoint, and
 * W2S_EXIT_WHEN_IDLE_SECONDS ends the process once it has been idle that long.
 */
import { temporalSettings } from '../core/temporal-settings.js';
import { healthPortFrom } from './health.js';
import { idleMsFrom } from './idle-exit.js';
import { log } from './logging.js';
import { runWorkerProcess } from './process.js';
import { QUEUES } from '../schemas/names.js';

const queues = (process.env.W2S_QUEUES ?? QUEUES.join(',')).split(',').map((q) => q.trim()).filter(Boolean);
try {
  const healthPort = healthPortFrom(process.env.W2S_HEALTH_PORT);
  const metricsPort = healthPortFrom(process.env.W2S_METRICS_PORT, 'W2S_METRICS_PORT');
  const exitWhenIdleMs = idleMsFrom(process.env.W2S_EXIT_WHEN_IDLE_SECONDS);
  await runWorkerProcess({
    settings: temporalSettings(),
    queues,
    ...(healthPort !== undefined ? { healthPort } : {}),
    ...(metricsPort !== undefined ? { metricsPort } : {}),
    ...(exitWhenIdleMs !== undefined ? { exitWhenIdleMs } : {}),
    ...(process.env.W2S_WORKER_IDENTITY ? { identity: process.env.W2S_WORKER_IDENTITY } : {}),
  });
} catch (error) {
  log.error({ err: error }, 'worker failed');
  process.exit(1);
}
