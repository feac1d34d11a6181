/**
 * The w2s library: what a user can call from their own code without Temporal.
 * Each layer re-exports its public surface from its own index.
 */
export * from './ml/index.js';
export * from './storage/index.js';
