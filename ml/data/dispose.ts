import type { Batch } from './batches.js';

/** Frees a batch's tensors: consumers own what a BatchSource yields. */
export function disposeBatch(batch: Batch): void {
  batch.x.dispose();
  batch.labels?.dispose();
  batch.teacherLogits?.dispose();
}
