/**
 * The `training-record` a training leaves for the report: its curves, its
 * per-epoch loss and accuracy, and its alpha histograms, in canonical JSON
 * without timings, so the same training always writes the same bytes (a
 * pure function of the stage's cache key, as a cached output must be).
 */
import { canonicalJson } from '../core/hash.js';
import { ALPHA_BINS, type TrainResult } from '../ml/train/index.js';
import { TrainingRecordSchema, type TrainingRecord } from '../schemas/report-data.js';
import type { TrainInput } from '../schemas/stages.js';

export function trainingRecord(input: Pick<TrainInput, 'role' | 'train'>, result: Pick<TrainResult, 'trace' | 'history' | 'position' | 'earlyStopping'>): string {
  const record: TrainingRecord = {
    version: 1,
    role: input.role,
    method: input.train.loss.method,
    steps: result.position.step,
    epochs: result.position.epoch,
    curve: result.trace.curve,
    perEpoch: result.history.map((e) => ({
      epoch: e.epoch,
      step: e.step,
      loss: e.loss,
      ...(e.trainAccuracy !== undefined ? { trainAccuracy: e.trainAccuracy } : {}),
      ...(e.teacherAgreement !== undefined ? { teacherAgreement: e.teacherAgreement } : {}),
      ...(result.earlyStopping && e.evalAccuracy !== undefined ? { validationScore: e.evalAccuracy } : {}),
    })),
    ...(result.trace.alpha.length > 0 ? { alpha: { bins: ALPHA_BINS, histograms: result.trace.alpha } } : {}),
    ...(result.earlyStopping ? { earlyStopping: result.earlyStopping } : {}),
  };
  // Parsing what is written keeps the writer and the report's reader to one contract.
  return `${canonicalJson(TrainingRecordSchema.parse(record))}\n`;
}
