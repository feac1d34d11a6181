/** PGR is a formula on accuracies, no tensors: it lives in core/ so the report computes it without ml/; ml's metrics offer it too. */
export { performanceGapRecovered, type PgrAccuracies } from '../../core/pgr.js';
