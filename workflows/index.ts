export { weakToStrong, progressQuery } from './weak-to-strong.js';
export { retrain } from './retrain.js';
export { sweep } from './sweep.js';
export { pretrain } from './pretrain.js';
