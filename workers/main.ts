#!/usr/bin/env node
/**
 * A worker process for deployments: `W2S_QUEUES=w2s-gpu node dist/workers/main.js`.
 * Connection settings come from the TEMPORAL_* environment (see connection.ts).
 */
import { temporalSettings } from './connection.js';
import { log } from './logging.js';
import { runWorkerProcess } from './process.js';
import { QUEUES } from '../schemas/names.js';

const queues = (process.env.W2S_QUEUES ?? QUEUES.join(',')).split(',').map((q) => q.trim()).filter(Boolean);
try {
  await runWorkerProcess({ settings: temporalSettings(), queues, ...(process.env.W2S_WORKER_IDENTITY ? { identity: process.env.W2S_WORKER_IDENTITY } : {}) });
} catch (error) {
  log.error({ err: error }, 'worker failed');
  process.exit(1);
}
