/**
 * Streaming evaluation: counts that add up batch by batch, so an
 * evaluation over many shards never holds all logits, and partial results
 * from shards evaluated apart (one activity each) merge into one. The state
 * is plain JSON, fit for a heartbeat or an activity result.
 */
import { BadInputError } from '../../core/errors.js';
import { checkBins, DEFAULT_CALIBRATION_BINS } from './calibration.js';
import { checkSameShape, toLabels, toRows, type LabelsInput, type LogitsInput } from './inputs.js';
import { argmaxRow, calibrationBin, confidenceRow, rankOf } from './rows.js';

const WHERE = 'metric accumulator';

export interface MetricOptions {
  readonly numClasses: number;
  /** Equal-width confidence bins of the calibration error; default 15. */
  readonly calibrationBins?: number;
  /** k of the top-k accuracy, reported only when numClasses > k; default 5. */
  readonly topK?: number;
}

/** Everything the accumulator knows, as JSON-safe numbers. */
export interface MetricState {
  readonly numClasses: number;
  readonly calibrationBins: number;
  readonly topK: number;
  readonly count: number;
  readonly correct: number;
  readonly topKCorrect: number;
  /** Examples that came with teacher logits, and how many of those agree. */
  readonly teacherCount: number;
  readonly agreements: number;
  readonly binCounts: number[];
  readonly binConfidence: number[];
  readonly binCorrect: number[];
  /** Row-major [true class][predicted class] counts. */
  readonly confusion: number[];
}

export interface ReliabilityBin {
  /** The bin covers confidences in (lower, upper]. */
  readonly lower: number;
  readonly upper: number;
  readonly count: number;
  /** Accuracy and mean confidence of the bin's examples; NaN for an empty bin. */
  readonly accuracy: number;
  readonly confidence: number;
}

export interface Metrics {
  readonly count: number;
  readonly accuracy: number;
  /** Top-k accuracy, present when the data has more than k classes. */
  readonly topK?: { readonly k: number; readonly accuracy: number };
  /** Argmax agreement with the teacher, present when teacher logits were given. */
  readonly agreement?: number;
  readonly ece: number;
  readonly reliability: ReliabilityBin[];
  /** [true class][predicted class] counts. */
  readonly confusion: number[][];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export class MetricAccumulator {
  private readonly s: Mutable<MetricState>;

  constructor({ numClasses, calibrationBins = DEFAULT_CALIBRATION_BINS, topK = 5 }: MetricOptions) {
    if (!Number.isInteger(numClasses) || numClasses < 1) throw new BadInputError(WHERE, `numClasses must be a positive integer, got ${numClasses}`);
    checkBins(WHERE, calibrationBins);
    if (!Number.isInteger(topK) || topK < 1) throw new BadInputError(WHERE, `topK must be a positive integer, got ${topK}`);
    this.s = {
      numClasses,
      calibrationBins,
      topK,
      count: 0,
      correct: 0,
      topKCorrect: 0,
      teacherCount: 0,
      agreements: 0,
      binCounts: new Array<number>(calibrationBins).fill(0),
      binConfidence: new Array<number>(calibrationBins).fill(0),
      binCorrect: new Array<number>(calibrationBins).fill(0),
      confusion: new Array<number>(numClasses * numClasses).fill(0),
    };
  }

  /** Resumes from a state saved by `state()`, e.g. from a heartbeat. */
  static fromState(state: MetricState): MetricAccumulator {
    const acc = new MetricAccumulator(state);
    const { numClasses: k, calibrationBins: bins } = state;
    const lengths: Array<[string, number, number]> = [
      ['binCounts', state.binCounts.length, bins],
      ['binConfidence', state.binConfidence.length, bins],
      ['binCorrect', state.binCorrect.length, bins],
      ['confusion', state.confusion.length, k * k],
    ];
    for (const [name, got, want] of lengths) {
      if (got !== want) throw new BadInputError(`${WHERE} state`, `${name} holds ${got} entries, expected ${want}`);
    }
    Object.assign(acc.s, structuredClone(state));
    return acc;
  }

  /** Adds a batch. Teacher logits must come with every batch or with none. */
  update(logits: LogitsInput, labels: LabelsInput, teacherLogits?: LogitsInput): this {
    const s = this.s;
    const m = toRows(WHERE, 'logits', logits);
    if (m.cols !== s.numClasses) throw new BadInputError(WHERE, `logits have ${m.cols} classes, the accumulator ${s.numClasses}`);
    const y = toLabels(WHERE, labels, m.rows, m.cols);
    const t = teacherLogits === undefined ? undefined : toRows(WHERE, 'teacher logits', teacherLogits);
    if (t) checkSameShape(WHERE, m, t, ['logits', 'teacher logits']);
    this.checkTeacherConsistency(t !== undefined, m.rows);

    for (let r = 0; r < m.rows; r++) {
      const label = y[r]!;
      const predicted = argmaxRow(m, r);
      const hit = predicted === label ? 1 : 0;
      const confidence = confidenceRow(m, r);
      const bin = calibrationBin(confidence, s.calibrationBins);
      s.correct += hit;
      if (rankOf(m, r, label) < s.topK) s.topKCorrect++;
      s.binCounts[bin]!++;
      s.binConfidence[bin]! += confidence;
      s.binCorrect[bin]! += hit;
      s.confusion[label * s.numClasses + predicted]!++;
      if (t && argmaxRow(t, r) === predicted) s.agreements++;
    }
    s.count += m.rows;
    if (t) s.teacherCount += m.rows;
    return this;
  }

  /** Adds another accumulator's counts, e.g. one per shard. */
  merge(other: MetricAccumulator): this {
    const s = this.s;
    const o = other.s;
    if (o.numClasses !== s.numClasses || o.calibrationBins !== s.calibrationBins || o.topK !== s.topK) {
      throw new BadInputError(
        WHERE,
        `cannot merge accumulators with different options: ${describeOptions(s)} and ${describeOptions(o)}`,
      );
    }
    this.checkTeacherConsistency(o.count > 0 && o.teacherCount === o.count, o.count);
    s.count += o.count;
    s.correct += o.correct;
    s.topKCorrect += o.topKCorrect;
    s.teacherCount += o.teacherCount;
    s.agreements += o.agreements;
    for (let b = 0; b < s.calibrationBins; b++) {
      s.binCounts[b]! += o.binCounts[b]!;
      s.binConfidence[b]! += o.binConfidence[b]!;
      s.binCorrect[b]! += o.binCorrect[b]!;
    }
    for (let i = 0; i < s.confusion.length; i++) s.confusion[i]! += o.confusion[i]!;
    return this;
  }

  state(): MetricState {
    return structuredClone(this.s);
  }

  result(): Metrics {
    const s = this.s;
    if (s.count === 0) throw new BadInputError(WHERE, 'no examples were added; the metrics are undefined');
    let ece = 0;
    const reliability: ReliabilityBin[] = [];
    for (let b = 0; b < s.calibrationBins; b++) {
      const n = s.binCounts[b]!;
      ece += Math.abs(s.binCorrect[b]! - s.binConfidence[b]!) / s.count;
      reliability.push({
        lower: b / s.calibrationBins,
        upper: (b + 1) / s.calibrationBins,
        count: n,
        accuracy: n > 0 ? s.binCorrect[b]! / n : Number.NaN,
        confidence: n > 0 ? s.binConfidence[b]! / n : Number.NaN,
      });
    }
    const k = s.numClasses;
    const confusion = Array.from({ length: k }, (_, row) => s.confusion.slice(row * k, (row + 1) * k));
    return {
      count: s.count,
      accuracy: s.correct / s.count,
      ...(k > s.topK ? { topK: { k: s.topK, accuracy: s.topKCorrect / s.count } } : {}),
      ...(s.teacherCount > 0 ? { agreement: s.agreements / s.teacherCount } : {}),
      ece,
      reliability,
      confusion,
    };
  }

  /**
   * Agreement over part of the data would pass for agreement over all of
   * it, so teacher logits must come with every example or with none.
   */
  private checkTeacherConsistency(withTeacher: boolean, rows: number): void {
    if (rows === 0 || this.s.count === 0) return;
    const seenTeacher = this.s.teacherCount > 0;
    if (seenTeacher !== withTeacher) {
      throw new BadInputError(
        WHERE,
        `teacher logits were given for ${seenTeacher ? 'earlier examples but not these' : 'these examples but not earlier ones'}; give them with every batch or with none`,
      );
    }
  }
}

function describeOptions(s: MetricState): string {
  return `{numClasses ${s.numClasses}, calibrationBins ${s.calibrationBins}, topK ${s.topK}}`;
}
