/**
 * The run configuration a user writes (YAML or JSON) for `w2s run`: where the
 * data comes from, the weak teacher, the strong students and how the stages
 * run. Validated before any work starts, with one clear message per bad field.
 */
import { z } from 'zod';
import { DATA_FORMATS, IngestOptionsSchema } from './manifest.js';
import { withLossEntry } from './losses.js';
import { ModelTrainingSchema, type TrainConfig } from './training.js';

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
  source: z.string().min(1),
  format: z.enum(DATA_FORMATS).default('idx'),
})
  .strict()
  .refine((d) => d.splits.weak > 0 && d.splits.transfer > 0, { message: 'splits.weak and splits.transfer must both be positive: the teacher learns on one, the students on the other', path: ['splits'] });
export type DatasetConfig = z.infer<typeof DatasetConfigSchema>;


export const TeacherConfigSchema = ModelTrainingSchema.extend({
  /** A weak teacher checkpoint to use instead of training one (a storage URI). */
  checkpoint: z.string().min(1).optional(),
}).strict();

/** A student: its loss entry (schemas/losses.ts: `method` and that method's parameters), its name and its overrides. */
export const StudentConfigSchema = withLossEntry({
  /** Unique name in the run; defaults to the method. */
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/, 'use lower-case letters, digits and dashes')
    .optional(),
  /** Per-student overrides of the shared strong settings. */
  model: z.string().min(1).optional(),
  epochs: z.number().int().positive().optional(),
  batchSize: z.number().int().positive().optional(),
});
export type StudentConfig = z.infer<typeof StudentConfigSchema>;

/** Enough to fall back past a damaged checkpoint or two, few enough to keep a long training's folder small. */
export const DEFAULT_KEEP_CHECKPOINTS = 3;

export const ExecutionConfigSchema = z
  .object({
    /** Soft-label activities in flight at once. */
    labelParallelism: z.number().int().positive().default(4),
    /** Student trainings in flight at once (each takes one training worker slot). */
    trainParallelism: z.number().int().positive().default(2),
    labelBatchSize: z.number().int().positive().default(256),
    heartbeatSeconds: z.number().positive().default(5),
    /** A training attempt whose worker has been silent this long is retried elsewhere. */
    heartbeatTimeoutSeconds: z.number().positive().default(60),
    checkpointEverySteps: z.number().int().positive().default(200),
    checkpointEverySeconds: z.number().positive().default(120),
    /** Checkpoints kept per training: older ones are deleted once a newer one is recorded. */
    keepCheckpoints: z.number().int().min(1).max(1000).default(DEFAULT_KEEP_CHECKPOINTS),
    /** Upper bound on one training attempt. */
    trainTimeoutMinutes: z.number().positive().default(24 * 60),
    /** Task queue of the training stages (GPU workers); labeling can be moved there too. */
    trainQueue: z.string().min(1).default('w2s-gpu'),
    labelQueue: z.string().min(1).default('w2s-cpu'),
  })
  .strict();
export type ExecutionConfig = z.infer<typeof ExecutionConfigSchema>;

export const PromotionConfigSchema = z
  .object({
    /** Registry pointer name: `registry/<name>.json`. */
    registry: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'use lower-case letters, digits and dashes'),
    /** The student whose model is the challenger. */
    student: z.string().min(1),
    /** Held-out split the challenger and champion are compared on. */
    split: z.enum(['validation', 'test']).default('test'),
    /** Minimum accuracy gain over the champion to promote. */
    minGain: z.number().min(0).default(0),
  })
  .strict();
export type PromotionConfig = z.infer<typeof PromotionConfigSchema>;

/** The weak teacher's name in stage names (`train-weak`, `evaluate-weak`) and results. */
export const TEACHER_NAME = 'weak';

export const RunConfigSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'use lower-case letters, digits and dashes'),
    seed: z.number().int().min(0).default(0),
    /** Storage root: a local folder, file:// URI or gs://bucket/prefix. */
    storage: z.string().min(1).default(DEFAULT_STORAGE_ROOT),
    dataset: DatasetConfigSchema,
    teacher: TeacherConfigSchema,
    strong: ModelTrainingSchema,
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
      }),
    execution: ExecutionConfigSchema.default(ExecutionConfigSchema.parse({})),
    promotion: PromotionConfigSchema.optional(),
  })
  .strict();
export type RunConfig = z.infer<typeof RunConfigSchema>;
export type RunConfigInput = z.input<typeof RunConfigSchema>;

export function studentName(student: StudentConfig): string {
  return student.name ?? student.method;
}

/** The teacher's full training config: ground truth only. */
export function teacherTrainConfig(config: RunConfig): TrainConfig {
  const { checkpoint: _checkpoint, ...training } = config.teacher;
  return { ...training, seed: config.seed, loss: { method: 'ceiling' } };
}

/** A student's full training config: the shared strong settings, its overrides, its loss. */
export function studentTrainConfig(config: RunConfig, student: StudentConfig): TrainConfig {
  const { name: _name, model, epochs, batchSize, ...loss } = student;
  return {
    ...config.strong,
    model: model ?? config.strong.model,
    epochs: epochs ?? config.strong.epochs,
    batchSize: batchSize ?? config.strong.batchSize,
    seed: config.seed,
    loss,
  };
}
