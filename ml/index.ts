export { initBackend, activeBackend, BACKEND_NAMES } from './backend.js';
export type { BackendInfo, BackendName } from './backend.js';
