/**
 * The run plan: a run config read once into everything the rest of w2s
 * reads. `planRun` parses the config (the schema is schemas/pipeline.ts'), applies every
 * rule that needs no I/O (model names, models that fit the dataset, the
 * promotion section, the run id)
 * and derives each model's training config, the backbones the students
 * start from and every stage's name. The CLI plans what it submits, the
 * validate stage plans what other clients submit, and the workflows derive
 * the same plan from the validated config (`derivePlan`, no parse): nobody
 * rebuilds a stage name or a student's training by hand.
 *
 * Pure: zod and plain code, no I/O and nothing thrown (a refusal is a
 * value each caller throws its own way), so the CLI, the stages and the
 * workflow bundle share it. Rules that need the world stay where the world
 * is: storage/run-checks.ts (files and storage root, as the submitting
 * machine and the workers see them), stages/validate.ts (a source in a
 * bucket) and, for batch sizes against split sizes, `batchSizeProblems`
 * here, called by the workflow once ingest has counted the splits.
 */
import { deprecatedLossFields, lossTraits, type LossMethod } from './losses.js';
import type { SplitName } from './manifest.js';
import { formatZodIssues } from './issues.js';
import { isModelName, MODEL_NAMES } from './models.js';
import { type PromotionConfig, type RunConfig, RunConfigSchema, runIdProblem, type StudentConfig, studentName, TEACHER_NAME } from './pipeline.js';
import type { ImportedBackboneConfig, InitMode, PretrainConfig, StudentInit } from './pretrain.js';
import { defaultPromotion } from './promotion.js';
import type { StudentBackbone } from './stages.js';
import type { TrainConfig } from './training.js';
import { vectorDatasetProblems } from './vector-dataset.js';

/** The stages every pipeline run has once, by name. */
export const STAGE = { validate: 'validate', ingest: 'ingest', report: 'report', lineage: 'lineage', promote: 'promote' } as const;

/** The training stage of the teacher or a student. */
export function trainStage(model: string): string {
  return `train-${model}`;
}

/** The evaluation stage of the teacher or a student (on the test split). */
export function evaluateStage(model: string): string {
  return `evaluate-${model}`;
}

/** A student's evaluation on the validation split (the sweep's choice). */
export function validationStage(model: string): string {
  return `${VALIDATION_STAGE_PREFIX}${model}`;
}

/** The model a validation stage evaluates (`validationStage`'s inverse), or undefined for a stage of another kind. */
export function validationStageModel(stage: string): string | undefined {
  return stage.startsWith(VALIDATION_STAGE_PREFIX) && stage.length > VALIDATION_STAGE_PREFIX.length ? stage.slice(VALIDATION_STAGE_PREFIX.length) : undefined;
}

const VALIDATION_STAGE_PREFIX = 'evaluate-validation-';

/** Splits the teacher labels: S for the students, the rest for agreement at evaluation. */
export const LABELED_SPLITS = ['transfer', 'validation', 'test'] as const;
export type LabeledSplit = (typeof LABELED_SPLITS)[number];

/** The labeling stage of one shard. */
export function labelStage(split: string, index: number): string {
  return `${labelPrefix(split)}${String(index).padStart(5, '0')}`;
}

/** The split a labeling stage labels, or undefined for a stage of another kind. */
export function labelStageSplit(stage: string): LabeledSplit | undefined {
  return LABELED_SPLITS.find((split) => stage.startsWith(labelPrefix(split)));
}

function labelPrefix(split: string): string {
  return `label-${split}-`;
}

/** One model the run trains (or imports) and evaluates. */
export interface ModelPlan {
  readonly name: string;
  readonly role: 'weak' | 'student' | 'ceiling';
  readonly method: LossMethod | 'weak';
  readonly train: TrainConfig;
  readonly stages: { readonly train: string; readonly evaluate: string };
}

export interface TeacherPlan extends ModelPlan {
  readonly role: 'weak';
  /** A stored teacher to import instead of training one. */
  readonly checkpoint?: string;
}

export interface StudentPlan extends ModelPlan {
  readonly role: 'student' | 'ceiling';
  readonly method: LossMethod;
  /** Learns from the teacher's soft labels (every method but the ground-truth-only ceiling). */
  readonly softLabels: boolean;
}

/** One backbone some student asks for, and the stage that provides it. */
export type BackboneSource =
  | { readonly kind: 'pretrain'; readonly stage: string; readonly model: string; readonly pretrain: PretrainConfig }
  | { readonly kind: 'import'; readonly stage: string; readonly uri: string }
  /**
   * A model in storage (TensorFlow.js Layers or graph model, or ONNX), saved into the run (`field` names its config
   * entry, for errors); `modes`: how the students on it train, since a frozen model serves probe students only.
   */
  | { readonly kind: 'layers'; readonly stage: string; readonly imported: ImportedBackboneConfig; readonly field: string; readonly modes: readonly InitMode[] };

export interface BackbonePlan {
  readonly sources: readonly BackboneSource[];
  /** For each student name, the stage of its backbone and the mode it trains in; absent: from scratch. */
  readonly students: Readonly<Record<string, { readonly stage: string; readonly mode: StudentBackbone['mode'] }>>;
}

export interface RunPlan {
  /** The run id (the workflow id), which names the run's objects and lineage; absent where none is chosen yet. */
  readonly runId?: string;
  /** The config, parsed, its defaults filled in. */
  readonly config: RunConfig;
  readonly teacher: TeacherPlan;
  readonly students: readonly StudentPlan[];
  readonly backbones: BackbonePlan;
  /** Who challenges the registry's champion when the run is a retraining. */
  readonly promotion: PromotionConfig;
  /** The stages known before ingest, in pipeline order (labeling and backbone stages join once the data is known). */
  readonly stages: readonly string[];
}

/** A plan whose run id is chosen: what a client starts. */
export type PlannedRun = RunPlan & { readonly runId: string };

/** Options that choose the run id. */
export type IdOptions = { readonly runId: string } | { readonly randomSuffix: string };

export interface PlanOptions {
  /** The run id chosen by the user. */
  readonly runId?: string;
  /** Without `runId`: the id is `<name>-<randomSuffix>` (the caller draws the suffix: the plan does no I/O). */
  readonly randomSuffix?: string;
  /** Where the config came from, for errors (a file name). */
  readonly where?: string;
  /** Deprecation warnings (renamed loss fields). */
  readonly warn?: (line: string) => void;
}

/**
 * Why a config cannot be planned: the input it names (`where`: a file, `run
 * config <name>`, `run id "<id>"`) and what is wrong, every problem listed.
 * Schemas import nothing of ours, so the caller throws it in its own way:
 * a BadInputError (core/errors.ts) where the user is, a non-retryable
 * failure in a workflow.
 */
export interface PlanRefusal {
  readonly where: string;
  readonly problem: string;
}

/** A plan, or why there is none. */
export type Planned<P extends RunPlan = RunPlan> = { readonly ok: true; readonly plan: P } | { readonly ok: false; readonly refusal: PlanRefusal };

/**
 * The one parse of a run config and every rule that needs no I/O: the plan,
 * or the refusal listing every problem: the config's fields (on `where`), or
 * the rules between them (on `run config <name>`); a bad run id first.
 */
export function planRun(value: unknown, options: PlanOptions & IdOptions): Planned<PlannedRun>;
export function planRun(value: unknown, options?: PlanOptions): Planned;
export function planRun(value: unknown, options: PlanOptions = {}): Planned {
  const draft = draftPlan(value, options);
  if (!draft.ok) return draft;
  const refusal = problemsRefusal(draft.plan.config, draft.problems);
  return refusal ? { ok: false, refusal } : { ok: true, plan: draft.plan };
}

/** A plan and what its rules found wrong, for a caller that adds what the world says before refusing (`problemsRefusal`). */
export interface DraftPlan<P extends RunPlan = RunPlan> {
  readonly ok: true;
  readonly plan: P;
  readonly problems: readonly string[];
}

/**
 * `planRun` without the rules' refusal: a config whose fields do not parse,
 * or a bad run id, is refused here; the rules' problems come back with the
 * plan, so that one error can list them with the world's (files, storage).
 */
export function draftPlan(value: unknown, options: PlanOptions & IdOptions): DraftPlan<PlannedRun> | { readonly ok: false; readonly refusal: PlanRefusal };
export function draftPlan(value: unknown, options?: PlanOptions): DraftPlan | { readonly ok: false; readonly refusal: PlanRefusal };
export function draftPlan(value: unknown, options: PlanOptions = {}): DraftPlan | { readonly ok: false; readonly refusal: PlanRefusal } {
  // A given id first: it names every object the run writes, whatever else is wrong.
  const givenId = options.runId === undefined ? undefined : runIdRefusal(options.runId);
  if (givenId) return { ok: false, refusal: givenId };
  const parsed = parseRunConfig(value, options.warn ?? (() => undefined));
  if (!parsed.ok) return { ok: false, refusal: { where: options.where ?? 'run config', problem: parsed.problems } };
  const config = parsed.config;
  const runId = options.runId ?? (options.randomSuffix !== undefined ? `${config.name}-${options.randomSuffix}` : undefined);
  const drawnId = runId === undefined ? undefined : runIdRefusal(runId);
  if (drawnId) return { ok: false, refusal: drawnId };
  return { ok: true, plan: derivePlan(config, runId), problems: configRuleProblems(config) };
}

/** What `parseRunConfig` found: the typed config, or every problem in it. */
export type ParsedRunConfig = { readonly ok: true; readonly config: RunConfig } | { readonly ok: false; readonly problems: string };

/**
 * The one parse of a run config, wherever it enters: `w2s` commands parse
 * the file they are given, the pipeline's validate stage what another client
 * submitted. Every bad field is reported at once with its path, so a user
 * fixes a config in one pass; deprecated loss field names are read and
 * passed to `warn`. Everything after receives the typed config.
 */
export function parseRunConfig(value: unknown, warn: (line: string) => void): ParsedRunConfig {
  const students = (value as { students?: unknown } | null)?.students;
  if (Array.isArray(students)) students.forEach((student, i) => deprecatedLossFields(student).forEach((line) => warn(`students.${i}: ${line}`)));
  const result = RunConfigSchema.safeParse(value);
  return result.success ? { ok: true, config: result.data } : { ok: false, problems: formatZodIssues('config', result.error, { schema: RunConfigSchema, input: value }).replace(/^config: /, '') };
}

/** The teacher's full training config: ground truth only. */
export function teacherTrainConfig(config: RunConfig): TrainConfig {
  const { checkpoint: _checkpoint, ...training } = config.teacher;
  return { ...training, seed: config.seed, loss: { method: 'ceiling' } };
}

/** A student's full training config: the shared strong settings, its overrides, its loss. */
export function studentTrainConfig(config: RunConfig, student: StudentConfig): TrainConfig {
  const { name: _name, model, epochs, batchSize, init: _init, ...loss } = student;
  const { init: _strongInit, earlyStopping, ...strong } = config.strong;
  // The ceiling learns ground truth, so it stops on ground truth whatever the students watch.
  const stopping = earlyStopping && lossTraits(student.method).groundTruthOnly ? { ...earlyStopping, monitor: 'ground-truth' as const } : earlyStopping;
  return {
    ...strong,
    ...(stopping ? { earlyStopping: stopping } : {}),
    model: model ?? config.strong.model,
    epochs: epochs ?? config.strong.epochs,
    batchSize: batchSize ?? config.strong.batchSize,
    seed: config.seed,
    loss,
  };
}

/** Where a student's weights start: its own `init`, else the shared `strong.init`; undefined is from scratch. */
export function studentInit(config: RunConfig, student: StudentConfig): StudentInit | undefined {
  return student.init ?? config.strong.init;
}

/** One refusal listing every problem of the run config (the plan's rules', the world's), or undefined when there is none. */
export function problemsRefusal(config: Pick<RunConfig, 'name'>, problems: readonly string[]): PlanRefusal | undefined {
  return problems.length ? { where: `run config ${config.name}`, problem: `\n  ${problems.join('\n  ')}` } : undefined;
}

/** Why a run id cannot name a run's folders (schemas/pipeline.ts's rule), as a refusal. */
export function runIdRefusal(runId: string): PlanRefusal | undefined {
  const problem = runIdProblem(runId);
  return problem ? { where: `run id ${JSON.stringify(runId)}`, problem } : undefined;
}

/**
 * The rules between a config's fields that its schema cannot state on one
 * field: known model names (ml/models/registry.ts builds each), models that
 * take what the dataset holds (vectors, for an embeddings dataset), and a
 * promotion section that names a student and a split the run has.
 */
export function configRuleProblems(config: RunConfig): string[] {
  const problems: string[] = [];
  const checkModel = (path: string, name: string) => {
    if (!isModelName(name)) problems.push(`${path}: unknown model "${name}" (known: ${MODEL_NAMES.join(', ')})`);
  };
  if (!config.teacher.checkpoint) checkModel('teacher.model', config.teacher.model);
  checkModel('strong.model', config.strong.model);
  config.students.forEach((s, i) => {
    if (s.model) checkModel(`students.${i}.model`, s.model);
  });
  problems.push(...vectorDatasetProblems(config));
  if (config.promotion && !config.students.some((s) => studentName(s) === config.promotion?.student)) {
    problems.push(`promotion.student: "${config.promotion.student}" is not one of the students (${config.students.map(studentName).join(', ')})`);
  }
  if (config.promotion?.split === 'validation' && config.dataset.splits.validation <= 0) {
    problems.push('promotion.split: "validation" needs dataset.splits.validation > 0');
  }
  return problems;
}

/** The plan of a config that is parsed and checked already (the workflows' view of the validated config): derivation only. */
export function derivePlan(config: RunConfig, runId?: string): RunPlan {
  const teacher: TeacherPlan = {
    name: TEACHER_NAME,
    role: 'weak',
    method: 'weak',
    train: teacherTrainConfig(config),
    stages: { train: trainStage(TEACHER_NAME), evaluate: evaluateStage(TEACHER_NAME) },
    ...(config.teacher.checkpoint ? { checkpoint: config.teacher.checkpoint } : {}),
  };
  const students = config.students.map((student): StudentPlan => {
    const name = studentName(student);
    const groundTruthOnly = lossTraits(student.method).groundTruthOnly;
    return {
      name,
      role: groundTruthOnly ? 'ceiling' : 'student',
      method: student.method,
      train: studentTrainConfig(config, student),
      stages: { train: trainStage(name), evaluate: evaluateStage(name) },
      softLabels: !groundTruthOnly,
    };
  });
  const models = [teacher, ...students];
  return {
    ...(runId !== undefined ? { runId } : {}),
    config,
    teacher,
    students,
    backbones: planBackbones(config),
    promotion: config.promotion ?? defaultPromotion(config),
    stages: [STAGE.ingest, ...models.map((m) => m.stages.train), ...models.map((m) => m.stages.evaluate), STAGE.report, STAGE.lineage],
  };
}

/** The distinct backbones of `config`'s students, in the order students name them; students asking for the same one share its stage. */
export function planBackbones(config: RunConfig): BackbonePlan {
  const byKey = new Map<string, BackboneSource>();
  const students: Record<string, { stage: string; mode: StudentBackbone['mode'] }> = {};
  let pretrains = 0;
  let imports = 0;
  let layers = 0;
  config.students.forEach((student, index) => {
    const init = studentInit(config, student);
    if (!init) return;
    // The encoder is the student's own architecture, so a pretraining is named by (model, config).
    const model = studentTrainConfig(config, student).model;
    const key = init.pretrain ? JSON.stringify(['pretrain', model, init.pretrain]) : init.imported ? JSON.stringify(['layers', init.imported]) : JSON.stringify(['import', init.pretrained]);
    let source = byKey.get(key);
    if (!source) {
      if (init.pretrain) {
        pretrains += 1;
        source = { kind: 'pretrain', stage: pretrains === 1 ? 'pretrain' : `pretrain-${pretrains}`, model, pretrain: init.pretrain };
      } else if (init.imported) {
        layers += 1;
        const field = student.init ? `students.${index}.init.imported` : 'strong.init.imported';
        source = { kind: 'layers', stage: layers === 1 ? 'import-layers' : `import-layers-${layers}`, imported: init.imported, field, modes: [] };
      } else {
        imports += 1;
        source = { kind: 'import', stage: imports === 1 ? 'import-backbone' : `import-backbone-${imports}`, uri: init.pretrained ?? '' };
      }
      byKey.set(key, source);
    }
    students[studentName(student)] = { stage: source.stage, mode: init.mode };
  });
  const modesOf = (stage: string) => [...new Set(Object.values(students).filter((s) => s.stage === stage).map((s) => s.mode))];
  const sources = [...byKey.values()].map((source) => (source.kind === 'layers' ? { ...source, modes: modesOf(source.stage) } : source));
  return { sources, students };
}

/**
 * Batch sizes against the splits they train on, the one rule that needs the
 * data: split sizes are known only once it is ingested (limits, few-shot
 * selection and split fractions all shape them). `rows` counts a split's
 * examples.
 */
export function batchSizeProblems(plan: Pick<RunPlan, 'teacher' | 'students'>, rows: (split: SplitName) => number): string[] {
  const problems: string[] = [];
  const check = (path: string, batchSize: number, split: SplitName) => {
    if (batchSize > rows(split)) problems.push(`${path}: batch size ${batchSize} is larger than the ${split} split it trains on (${rows(split)} examples)`);
  };
  if (!plan.teacher.checkpoint) check('teacher.batchSize', plan.teacher.train.batchSize, 'weak');
  plan.students.forEach((student, i) => check(`students.${i} (${student.name}) batchSize`, student.train.batchSize, 'transfer'));
  return problems;
}
