/**
 * Every stage activity, one file each. Workers register this module; workflows
 * import its types only.
 */
export { validateRun } from './validate-run.js';
export { ingest } from './ingest.js';
export { importModel } from './import-model.js';
export { trainModel } from './train.js';
export { labelShard } from './label.js';
export { evaluateModel } from './evaluate.js';
export { writeReport } from './report/index.js';
export { summarizeRunLineage } from './lineage/activity.js';
export { promote } from './promote.js';
