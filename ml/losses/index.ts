/**
 * Student losses for weak-to-strong training: the public functions, one per
 * method, and the registry the training loop calls through `studentLoss`.
 */
export { studentLoss, LOSS_REGISTRY } from './registry.js';
export { kdLoss, type KdOptions } from './kd.js';
export { hardLoss } from './hard.js';
export { augConfLoss, augConfAlpha, type AugConfOptions } from './augconf.js';
export { adaptConfLoss, adaptiveWeight, type AdaptConfOptions } from './adaptconf.js';
export { logConfLoss, logConfCoef, type LogConfOptions } from './logconf.js';
export { groundTruthLoss } from './ground-truth.js';
export { DIAGNOSTIC_PARTS, type LossEntry, type LossInputs, type LossResult, type LossTerms } from './types.js';
