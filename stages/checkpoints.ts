/**
 * Checkpoints of a long training stage (a student's training, a backbone's
 * pretraining), written the same way for both: under the stage's cache key
 * (a retry resumes only a training of exactly this config and these inputs),
 * `latest.json` moved forward by compare-and-swap, older ones pruned once the
 * pointer that drops them is durable, heartbeats naming the latest one, and
 * a stop turned into the error its reason calls for.
 */
import { isBadInputError } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import { DEFAULT_KEEP_CHECKPOINTS } from '../schemas/pipeline.js';
import type { ObjectRef, TrainProgress } from '../schemas/stages.js';
import { ObjectNotFoundError } from '../storage/errors.js';
import { checkpointKey, checkpointPointerKey, checkpointStepOf, trainingPrefix } from '../storage/layout.js';
import type { ObjectStore } from '../storage/object-store.js';
import { ProgressReporter, type TrainHeartbeat } from './progress.js';
import { StageStoppedError, type StageRuntime } from './runtime.js';
import { getVerified, putObject } from './stores.js';

export interface CheckpointRef extends ObjectRef {
  readonly step: number;
  readonly epoch: number;
}

/** `latest.json`: the newest checkpoint, and the older ones still kept (newest first) to fall back on. */
interface CheckpointPointer extends CheckpointRef {
  readonly older?: readonly CheckpointRef[];
}

export interface CheckpointPlace {
  readonly runId: string;
  readonly stage: string;
  /** The stage's cache key: checkpoints of another config or other inputs are never resumed. */
  readonly cacheKey: string;
}

export interface CheckpointSettings {
  readonly keepCheckpoints?: number;
  readonly heartbeatSeconds: number;
}

/** One attempt's checkpoints: where they go, what it resumes from, and its heartbeats. */
export class StageCheckpoints {
  private latestRef: CheckpointRef | undefined;

  private constructor(
    private readonly store: ObjectStore,
    private readonly runtime: StageRuntime,
    private readonly stage: string,
    /** The folder of the training's checkpoints and outputs. */
    readonly prefix: string,
    private readonly pointerKey: string,
    private readonly keep: number,
    /** The checkpoint this attempt resumes from, with its bytes; none starts afresh. */
    readonly resume: { readonly pointer: CheckpointRef; readonly bytes: Uint8Array } | undefined,
    private readonly reporter: ProgressReporter,
  ) {
    this.latestRef = resume?.pointer;
  }

  /** Finds the checkpoint to resume from and heartbeats at once: loading data and building the model are silent otherwise, and a busy worker can take longer than a short heartbeat timeout. */
  static async open(store: ObjectStore, runtime: StageRuntime, place: CheckpointPlace, settings: CheckpointSettings): Promise<StageCheckpoints> {
    const prefix = trainingPrefix(place.runId, place.stage, place.cacheKey);
    const pointerKey = checkpointPointerKey(prefix);
    const last = runtime.lastHeartbeat as TrainHeartbeat | undefined;
    const resume = await resumePoint(store, pointerKey, last, runtime);
    const reporter = new ProgressReporter(runtime, settings.heartbeatSeconds);
    const keep = settings.keepCheckpoints ?? DEFAULT_KEEP_CHECKPOINTS;
    const checkpoints = new StageCheckpoints(store, runtime, place.stage, prefix, pointerKey, keep, resume, reporter);
    reporter.heartbeat(
      resume ? { step: resume.pointer.step, epoch: resume.pointer.epoch, checkpoint: resume.pointer } : { step: 0, epoch: 0 },
      resume ? resumedProgress(last?.progress, resume.pointer) : undefined,
      true,
    );
    return checkpoints;
  }

  /** The step this attempt started from (0 when it started afresh). */
  get startStep(): number {
    return this.resume?.pointer.step ?? 0;
  }

  /** Heartbeats the position (at most every `heartbeatSeconds`), naming the latest checkpoint. */
  progress(step: number, epoch: number, progress: TrainProgress): void {
    this.reporter.heartbeat({ step, epoch, ...(this.latestRef ? { checkpoint: this.latestRef } : {}) }, progress);
  }

  /** Stores a checkpoint, moves the pointer to it, prunes what the pointer no longer keeps and heartbeats it at once (a retry must not miss it). */
  async save(bytes: Uint8Array, at: { readonly step: number; readonly epoch: number }): Promise<void> {
    const ref = await putObject(this.store, checkpointKey(this.prefix, at.step, sha256Hex(bytes)), bytes, 'application/octet-stream');
    this.latestRef = { ...ref, step: at.step, epoch: at.epoch };
    await movePointer(this.store, this.pointerKey, this.latestRef, this.keep);
    await pruneCheckpoints(this.store, this.prefix, this.pointerKey, this.runtime);
    this.reporter.heartbeat({ step: at.step, epoch: at.epoch, checkpoint: this.latestRef }, undefined, true);
  }

  /**
   * The error for a training that stopped at `step` before it finished: the
   * user's cancel, or (retryable) its worker going away, so that another
   * worker resumes from the checkpoint.
   */
  stopped(step: number): StageStoppedError {
    const at = `step ${step}, checkpoint ${this.latestRef?.key ?? 'none'}`;
    if (this.runtime.stopReason() === 'worker-shutdown') {
      return new StageStoppedError(`worker shut down during ${this.stage} (${at}); another worker resumes from the checkpoint`, 'worker-shutdown');
    }
    return new StageStoppedError(`${this.stage} cancelled at ${at}`, 'cancelled');
  }

  /** Finished, its outputs stored: only the final checkpoint is kept (a retry of this attempt resumes from it and is done at once). */
  async finish(): Promise<void> {
    await keepFinalCheckpoint(this.store, this.prefix, this.pointerKey, this.runtime);
  }
}

/**
 * What a resumed attempt reports before its first step, so that `w2s status`
 * (and the embedded default's "resuming run ..." line) still shows where the
 * training stands while it loads its data: the last attempt's progress,
 * moved back to the checkpoint this attempt resumes from.
 */
function resumedProgress(last: TrainProgress | undefined, from: CheckpointRef): TrainProgress | undefined {
  if (!last) return undefined;
  return { ...last, epoch: Math.min(from.epoch + 1, last.epochs), step: from.step, startStep: from.step, elapsedSeconds: 0, imagesPerSecond: 0 };
}

/**
 * The newest checkpoint that is still intact: the one the last heartbeat
 * named, the pointer's, then the older ones the pointer keeps. A damaged
 * or missing one is logged and skipped; none at all starts afresh.
 */
async function resumePoint(store: ObjectStore, pointerKey: string, heartbeat: TrainHeartbeat | undefined, runtime: StageRuntime): Promise<{ pointer: CheckpointRef; bytes: Uint8Array } | undefined> {
  // The heartbeat names the checkpoint the last attempt reported; the pointer covers a crash between writing one and heartbeating it.
  const candidates: CheckpointRef[] = [];
  // A heartbeat from before checkpoints were named by key has none: the pointer still covers it.
  if (typeof heartbeat?.checkpoint?.key === 'string') candidates.push({ ...heartbeat.checkpoint, step: heartbeat.step, epoch: heartbeat.epoch });
  const pointer = await readCheckpointPointer(store, pointerKey);
  if (pointer) candidates.push(withoutOlder(pointer), ...(pointer.older ?? []));
  const seen = new Set<string>();
  for (const candidate of candidates.sort((a, b) => b.step - a.step)) {
    if (seen.has(candidate.key)) continue;
    seen.add(candidate.key);
    try {
      return { pointer: candidate, bytes: await getVerified(store, candidate, 'checkpoint') };
    } catch (error) {
      if (!isBadInputError(error) && !(error instanceof ObjectNotFoundError)) throw error;
      runtime.warn(`checkpoint at step ${candidate.step} is unusable, trying an older one: ${(error as Error).message}`);
    }
  }
  return undefined;
}

function parsePointer(data: Uint8Array): CheckpointPointer {
  return JSON.parse(new TextDecoder().decode(data)) as CheckpointPointer;
}

async function readCheckpointPointer(store: ObjectStore, key: string): Promise<CheckpointPointer | undefined> {
  const current = await store.readPointer(key);
  return current ? parsePointer(current.data) : undefined;
}

function withoutOlder(pointer: CheckpointPointer): CheckpointRef {
  return { key: pointer.key, sha256: pointer.sha256, bytes: pointer.bytes, step: pointer.step, epoch: pointer.epoch };
}

/**
 * Moves `latest.json` forward with compare-and-swap; never backwards, whoever
 * else writes it. The checkpoint it replaces joins the `keep - 1` older ones
 * the pointer keeps to fall back on.
 */
async function movePointer(store: ObjectStore, key: string, next: CheckpointRef, keep: number): Promise<void> {
  for (;;) {
    const current = await store.readPointer(key);
    const at = current ? parsePointer(current.data) : undefined;
    if (at && at.step >= next.step) return;
    const older = at ? [withoutOlder(at), ...(at.older ?? [])].slice(0, keep - 1) : [];
    try {
      await store.writePointer(key, JSON.stringify({ ...next, older }), current?.version ?? null);
      return;
    } catch (error) {
      if ((error as Error).name !== 'PreconditionFailedError') throw error;
    }
  }
}

/**
 * A finished training needs one checkpoint, the final one: resume reads it
 * (a retried attempt finishes at once) and lineage names only the model and
 * the training record. The pointer drops the older ones first, then they
 * are deleted, so a crash between leaves the pointer's checkpoint intact.
 */
async function keepFinalCheckpoint(store: ObjectStore, prefix: string, pointerKey: string, runtime: StageRuntime): Promise<void> {
  for (;;) {
    const current = await store.readPointer(pointerKey);
    if (!current) return;
    const at = parsePointer(current.data);
    if (!at.older?.length) break;
    try {
      await store.writePointer(pointerKey, JSON.stringify({ ...withoutOlder(at), older: [] }), current.version);
      break;
    } catch (error) {
      if ((error as Error).name !== 'PreconditionFailedError') throw error;
    }
  }
  await pruneCheckpoints(store, prefix, pointerKey, runtime);
}

/**
 * Deletes the checkpoints under `prefix` that the pointer no longer keeps and
 * that are older than its newest: only after the pointer that drops them is
 * durable, so a crash at any point leaves an intact checkpoint to resume from.
 */
async function pruneCheckpoints(store: ObjectStore, prefix: string, pointerKey: string, runtime: StageRuntime): Promise<void> {
  const pointer = await readCheckpointPointer(store, pointerKey);
  if (!pointer) return;
  const kept = new Set([pointer, ...(pointer.older ?? [])].map((c) => c.key));
  for (const key of await store.list(`${prefix}/`)) {
    const step = checkpointStepOf(key);
    // A newer checkpoint than the pointer's may belong to another attempt that has not moved the pointer yet.
    if (step === undefined || step >= pointer.step || kept.has(key)) continue;
    await store.delete(key).catch((error: unknown) => runtime.warn(`could not delete old checkpoint ${key}: ${(error as Error).message}`));
  }
}
