export { initBackend, activeBackend, BACKEND_NAMES } from './backend.js';
export type { BackendInfo, BackendName } from './backend.js';
export * as losses from './losses/index.js';
export * as metrics from './metrics/index.js';
export { kdLoss, hardLoss, augConfLoss, adaptConfLoss, logConfLoss, studentLoss } from './losses/index.js';
