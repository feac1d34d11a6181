/**
 * The run configuration a user writes (YAML or JSON) for `w2s run`: where the
 * data comes from, the weak teacher, the strong students and how the stages
 * run. Validated before any work starts, with one clear message per bad field.
 */
import { z } from 'zod';
import { CPU_QUEUE, GPU_QUEUE } from './names.js';
import { DATA_FORMATS, IngestOptionsSchema } from './manifest.js';
import { withLossEntry } from './losses.js';
import { StudentInitSchema, type StudentInit } from './pretrain.js';
import { EarlyStoppingConfigSchema, MAX_BATCH_SIZE, MAX_EPOCHS, MAX_SEED, ModelTrainingSchema } from './training.js';

/**
 * A run id names the run's folders in storage (`runs/<id>/`, `lineage/<id>/`)
 * and its workflow: one path segment, no `..`, nothing a shell or URL quotes.
 * Upper case stays allowed: sweep points name their runs `...-T2` by temperature.
 */
export const RUN_ID_RULE = "1 to 128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit, without '..'";

/** Why `runId` cannot name a run, or undefined when it can. */
export function runIdProblem(runId: string): string | undefined {
  return /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(runId) && !runId.includes('..') ? undefined : `use ${RUN_ID_RULE}`;
}

/** The storage root of a run whose config names none (storage/layout.ts lays out what is under it). */
export const DEFAULT_STORAGE_ROOT = '.w2s';

/**
 * Where the data comes from and how it is split and transformed: the source
 * folder and format plus ingestion's own options (schemas/manifest.ts), with
 * unknown keys refused so that a typo is an error rather than a default.
 */
export const DatasetConfigSchema = IngestOptionsSchema.extend({
  /**
   * The source files (IDX pairs, CIFAR batches, or one sub-folder per class):
   * a folder where ingest runs, or a storage URI (`gs://bucket/prefix`) the
   * workers stream from, so a cluster needs no shared disk.
   */
  source: z.string().min(1).describe('the source files (IDX pairs, CIFAR batches, one sub-folder per class, or one Arrow or Parquet file of embeddings): a local folder or a storage URI (gs://bucket/prefix) the workers read'),
  format: z.enum(DATA_FORMATS).default('idx').describe('how the source is laid out (embeddings: vectors computed elsewhere, with columns index, label, embedding)'),
})
  .strict()
  .refine((d) => d.splits.weak > 0 && d.splits.transfer > 0, { message: 'splits.weak and splits.transfer must both be positive: the teacher learns on one, the students on the other', path: ['splits'] });
export type DatasetConfig = z.infer<typeof DatasetConfigSchema>;


/** The students' shared settings: how they train and, with `init`, the backbone they start from (schemas/pretrain.ts). */
export const StrongConfigSchema = ModelTrainingSchema.extend({
  init: StudentInitSchema.optional().describe('the backbone every student starts from: pretrained here (pretrain) or stored (pretrained)'),
  earlyStopping: EarlyStoppingConfigSchema.optional().describe('stop each student once its validation score stops improving and keep its best epoch (needs dataset.splits.validation > 0)'),
}).strict();

export const TeacherConfigSchema = ModelTrainingSchema.extend({
  /** A weak teacher checkpoint to use instead of training one (a storage URI). */
  checkpoint: z.string().min(1).optional().describe('a weak teacher checkpoint (storage URI) to use instead of training one'),
}).strict();

/** A student: its loss entry (schemas/losses.ts: `method` and that method's parameters), its name and its overrides. */
export const StudentConfigSchema = withLossEntry({
  /** Unique name in the run; defaults to the method. */
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/, 'use lower-case letters, digits and dashes')
    .optional()
    .describe('unique name in the run; defaults to the method'),
  /** Per-student overrides of the shared strong settings. */
  model: z.string().min(1).optional().describe('model instead of strong.model'),
  epochs: z.number().int().positive().max(MAX_EPOCHS).optional().describe('epochs instead of strong.epochs'),
  batchSize: z.number().int().positive().max(MAX_BATCH_SIZE).optional().describe('batch size instead of strong.batchSize'),
  /** Where this student's weights start, instead of the shared `strong.init`. */
  init: StudentInitSchema.optional().describe('where this student\'s weights start, instead of strong.init'),
});
export type StudentConfig = z.infer<typeof StudentConfigSchema>;

/**
 * Bounds on durations and counts. Durations become Temporal timeouts
 * (`"<n> seconds"`), which must be a plain number of at most a few digits
 * (`1e21 seconds` and `1e-9 seconds` are not durations: every workflow task
 * would fail while the run shows RUNNING); the bounds are also what a real
 * run can use.
 */
export const MAX_TIMEOUT_SECONDS = 24 * 60 * 60;
export const MAX_TRAIN_TIMEOUT_MINUTES = 30 * 24 * 60;
export const MAX_PARALLELISM = 256;
export { MAX_BATCH_SIZE } from './training.js';

/** Enough to fall back past a damaged checkpoint or two, few enough to keep a long training's folder small. */
export const DEFAULT_KEEP_CHECKPOINTS = 3;

export const ExecutionConfigSchema = z
  .object({
    /** Soft-label activities in flight at once. */
    labelParallelism: z.number().int().positive().max(MAX_PARALLELISM).default(4).describe('soft-label activities in flight at once'),
    /** Student trainings in flight at once (each takes one training worker slot). */
    trainParallelism: z.number().int().positive().max(MAX_PARALLELISM).default(2).describe('student trainings in flight at once (each takes one training worker slot)'),
    labelBatchSize: z.number().int().positive().max(MAX_BATCH_SIZE).default(256).describe('images per forward pass when the teacher labels the transfer split'),
    heartbeatSeconds: z.number().min(0.01).max(600).default(5).describe('how often a training reports progress to Temporal'),
    /** A training attempt whose worker has been silent this long is retried elsewhere. */
    heartbeatTimeoutSeconds: z.number().min(1).max(MAX_TIMEOUT_SECONDS).default(60).describe('a training attempt whose worker has been silent this long is retried elsewhere'),
    checkpointEverySteps: z.number().int().positive().max(1e9).default(200).describe('a training checkpoints after this many steps (or checkpointEverySeconds, whichever comes first)'),
    checkpointEverySeconds: z.number().min(1).max(MAX_TIMEOUT_SECONDS).default(120).describe('a training checkpoints after this long (or checkpointEverySteps, whichever comes first)'),
    /** Checkpoints kept per training: older ones are deleted once a newer one is recorded. */
    keepCheckpoints: z.number().int().min(1).max(1000).default(DEFAULT_KEEP_CHECKPOINTS).describe('checkpoints kept per training; older ones are deleted once a newer one is recorded'),
    /** Upper bound on one training attempt. */
    trainTimeoutMinutes: z.number().min(1).max(MAX_TRAIN_TIMEOUT_MINUTES).default(24 * 60).describe('upper bound on one training attempt'),
    /** Task queue of the training stages (GPU workers); labeling can be moved there too. */
    trainQueue: z.string().min(1).default(GPU_QUEUE).describe('task queue of the training stages (GPU workers)'),
    labelQueue: z.string().min(1).default(CPU_QUEUE).describe('task queue of the labeling stages (may be the GPU queue too)'),
  })
  .strict()
  .refine((e) => e.heartbeatTimeoutSeconds > e.heartbeatSeconds, { message: 'heartbeatTimeoutSeconds must be longer than heartbeatSeconds, or every training attempt times out between two heartbeats', path: ['heartbeatTimeoutSeconds'] });
export type ExecutionConfig = z.infer<typeof ExecutionConfigSchema>;

export const PromotionConfigSchema = z
  .object({
    /** Registry pointer name: `registry/<name>.json`. */
    registry: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'use lower-case letters, digits and dashes').describe('registry pointer name: registry/<name>.json in storage'),
    /** The student whose model is the challenger. */
    student: z.string().min(1).describe('the student whose model is the challenger'),
    /** Held-out split the challenger and champion are compared on. */
    split: z.enum(['validation', 'test']).default('test').describe('held-out split the challenger and champion are compared on'),
    /** Minimum accuracy gain over the champion to promote. */
    minGain: z.number().min(0).default(0).describe('accuracy gain over the champion the challenger must exceed to be promoted (0.01 = one point)'),
  })
  .strict();
export type PromotionConfig = z.infer<typeof PromotionConfigSchema>;

/** The weak teacher's name in stage names (`train-weak`, `evaluate-weak`) and results. */
export const TEACHER_NAME = 'weak';

export const RunConfigSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'use lower-case letters, digits and dashes').describe('the run\'s name; run ids default to <name>-<random>'),
    seed: z.number().int().min(0).max(MAX_SEED).default(0).describe('seed of data splits, initialisation and batch order'),
    /** Storage root: a local folder, file:// URI or gs://bucket/prefix. */
    storage: z.string().min(1).default(DEFAULT_STORAGE_ROOT).describe('storage root: a local folder, file:// URI or gs://bucket/prefix'),
    dataset: DatasetConfigSchema.describe('where the data comes from and how it is split and transformed'),
    teacher: TeacherConfigSchema.describe('the weak teacher, trained on the weak split with ground truth'),
    strong: StrongConfigSchema.describe('the strong model every student trains, unless a student overrides it'),
    students: z
      .array(StudentConfigSchema)
      .min(1)
      .superRefine((students, ctx) => {
        const seen = new Set<string>();
        students.forEach((s, i) => {
          const name = s.name ?? s.method;
          if (seen.has(name)) {
            ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate student name "${name}"; give each a distinct name` });
          }
          // Stages and their activities are named after the model they train or evaluate.
          if (name === TEACHER_NAME) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `"${TEACHER_NAME}" names the teacher; give the student another name` });
          seen.add(name);
        });
      })
      .describe('the students: one training of the strong model each, by its loss method'),
    execution: ExecutionConfigSchema.default(ExecutionConfigSchema.parse({})).describe('how the stages run: parallelism, heartbeats, checkpoints, task queues'),
    promotion: PromotionConfigSchema.optional().describe('scheduled retraining: which student challenges the registry\'s champion, and how (default: the first adaptconf student, on test, minGain 0)'),
  })
  .strict()
  .superRefine((config, ctx) => {
    // Supervised pretraining reads labels the task never sees: the pool's, or another dataset's.
    const pool = config.dataset.splits.pool ?? 0;
    const inits: Array<[(string | number)[], StudentInit | undefined]> = [[['strong', 'init'], config.strong.init], ...config.students.map((s, i): [(string | number)[], StudentInit | undefined] => [['students', i, 'init'], s.init])];
    for (const [path, init] of inits) {
      if (init?.pretrain?.method === 'supervised' && !init.pretrain.dataset && pool <= 0) {
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'pretrain', 'method'],
          message: 'supervised pretraining learns from labels the task never sees: set apart a pool split (dataset.splits.pool, e.g. 0.2) or name another dataset (pretrain.dataset)',
        });
      }
    }
    if (config.strong.earlyStopping && config.dataset.splits.validation <= 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['strong', 'earlyStopping'],
        message: 'early stopping watches the validation split, and this config has none: set dataset.splits.validation (e.g. 0.05)',
      });
    }
  });
export type RunConfig = z.infer<typeof RunConfigSchema>;
export type RunConfigInput = z.input<typeof RunConfigSchema>;

export function studentName(student: StudentConfig): string {
  return student.name ?? student.method;
}
