export { ntXentLoss } from './nt-xent.js';
export { augmentView, contrastiveViews, ViewAugmentSchema } from './views.js';
export type { ViewAugment, ViewAugmentInput } from './views.js';
export { pretrainContrastive, transferWeights } from './contrastive.js';
export type { ContrastiveOptions, ContrastiveResult } from './contrastive.js';
export { CONTRASTIVE_CHECKPOINT_FORMAT, encodeContrastiveCheckpoint, restoreContrastiveCheckpoint } from './checkpoint.js';
export type { ContrastivePosition, ContrastiveState } from './checkpoint.js';
export { studentFromBackbone } from './student.js';
