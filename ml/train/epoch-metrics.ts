/**
 * Running totals of one training epoch and the per-epoch record they become.
 * The totals are plain numbers so a mid-epoch checkpoint can carry them and a
 * resumed run reports the same epoch metrics as an uninterrupted one.
 */
export interface EpochTally {
  batches: number;
  examples: number;
  /** Sum over batches of each loss part's batch mean. */
  lossSums: Record<string, number>;
  /** Student argmax equal to the ground-truth label, over examples that have one. */
  correct: number;
  labelled: number;
  /** Student argmax equal to the teacher's argmax, over examples with teacher logits. */
  agreeing: number;
  withTeacher: number;
  /** Wall time spent in this epoch's steps, in this process and those before a resume. */
  seconds: number;
  lastLr: number;
}

export interface EpochMetrics {
  readonly epoch: number;
  /** Optimizer steps completed at the end of the epoch. */
  readonly step: number;
  readonly lr: number;
  /** Mean over the epoch's batches of `total` and each loss part. */
  readonly loss: Record<string, number>;
  readonly trainAccuracy?: number;
  readonly teacherAgreement?: number;
  /** Accuracy on the evaluation source, when one is given. */
  readonly evalAccuracy?: number;
  readonly seconds: number;
  readonly imagesPerSecond: number;
}

export function emptyTally(): EpochTally {
  return { batches: 0, examples: 0, lossSums: {}, correct: 0, labelled: 0, agreeing: 0, withTeacher: 0, seconds: 0, lastLr: 0 };
}

export interface BatchOutcome {
  readonly loss: Readonly<Record<string, number>>;
  readonly predictions: Int32Array;
  readonly labels?: ArrayLike<number>;
  readonly teacherPredictions?: ArrayLike<number>;
  readonly seconds: number;
  readonly lr: number;
}

export function addBatch(tally: EpochTally, outcome: BatchOutcome): void {
  const n = outcome.predictions.length;
  tally.batches += 1;
  tally.examples += n;
  for (const [name, value] of Object.entries(outcome.loss)) tally.lossSums[name] = (tally.lossSums[name] ?? 0) + value;
  if (outcome.labels) {
    tally.labelled += n;
    for (let i = 0; i < n; i++) if (outcome.predictions[i] === outcome.labels[i]) tally.correct += 1;
  }
  if (outcome.teacherPredictions) {
    tally.withTeacher += n;
    for (let i = 0; i < n; i++) if (outcome.predictions[i] === outcome.teacherPredictions[i]) tally.agreeing += 1;
  }
  tally.seconds += outcome.seconds;
  tally.lastLr = outcome.lr;
}

export function closeEpoch(tally: EpochTally, epoch: number, step: number, evalAccuracy?: number): EpochMetrics {
  const loss: Record<string, number> = {};
  for (const [name, sum] of Object.entries(tally.lossSums)) loss[name] = sum / Math.max(tally.batches, 1);
  return {
    epoch,
    step,
    lr: tally.lastLr,
    loss,
    ...(tally.labelled > 0 ? { trainAccuracy: tally.correct / tally.labelled } : {}),
    ...(tally.withTeacher > 0 ? { teacherAgreement: tally.agreeing / tally.withTeacher } : {}),
    ...(evalAccuracy !== undefined ? { evalAccuracy } : {}),
    seconds: tally.seconds,
    imagesPerSecond: tally.seconds > 0 ? tally.examples / tally.seconds : 0,
  };
}
