/**
 * The student loss methods, one declarative entry each: its parameters, under
 * names that say what they are, with their defaults, and its traits (does it
 * learn from a teacher, from ground truth alone). Parameters of another
 * method are errors. Adding a method is one entry here and one loss file in
 * ml/losses.
 */
import { z } from 'zod';

export const LOSS_METHODS = ['ceiling', 'hard', 'kd', 'augconf', 'adaptconf', 'logconf'] as const;
export type LossMethod = (typeof LOSS_METHODS)[number];

export interface LossTraits {
  /** The method learns from teacher logits (the transfer split must be labeled first). */
  readonly needsTeacher: boolean;
  /** The method learns from ground truth alone: it is the ceiling of a run, and takes no `gtWeight`. */
  readonly groundTruthOnly: boolean;
}

/** Softmax temperature of the distillation term. */
const temperature = z.number().positive().max(1000).default(1).describe('softmax temperature of the distillation term');
/** Weight of cross-entropy with ground truth added to the loss (1 = knowledge distillation, 0 = pure weak-to-strong). */
const gtWeight = z.number().min(0).default(0).describe('weight of cross-entropy with ground truth added to the loss (1 = knowledge distillation, 0 = pure weak-to-strong)');

export const CeilingLossSchema = z.object({ method: z.literal('ceiling').describe("trained on ground truth alone: the run's ceiling") }).strict();
export const HardLossSchema = z.object({ method: z.literal('hard').describe("the teacher's hard labels"), gtWeight }).strict();
export const KdLossSchema = z.object({ method: z.literal('kd').describe("distillation from the teacher's soft labels"), temperature, gtWeight }).strict();
export const AugConfLossSchema = z
  .object({
    method: z.literal('augconf').describe("the teacher's labels plus the student's own confident predictions, with a weight that ramps up (Guo et al.)"),
    /** The confidence weight alpha reaches at the end of its ramp. */
    finalAlpha: z.number().min(0).max(1).default(0.5).describe('the confidence weight alpha reaches at the end of its ramp'),
    /** Fraction of training over which alpha rises linearly from 0 to `finalAlpha`. */
    rampFraction: z.number().min(0).max(1).default(0.3).describe('fraction of training over which alpha rises linearly from 0 to finalAlpha'),
    temperature,
    gtWeight,
  })
  .strict();
export const AdaptConfLossSchema = z
  .object({
    method: z.literal('adaptconf').describe('AdaptConf: teacher and student predictions weighted per example by their confidence (Guo et al.)'),
    /** Temperature of the adaptive weight; 0.5 is the reference setting for CIFAR, 4 for ImageNet. */
    theta: z.number().positive().max(1000).default(0.5).describe('temperature of the adaptive weight; 0.5 is the reference setting for CIFAR, 4 for ImageNet'),
    temperature,
    gtWeight,
  })
  .strict();
export const LogConfLossSchema = z
  .object({
    method: z.literal('logconf').describe('auxiliary confidence loss (Burns et al.)'),
    /** Final weight of the student's own hardened prediction in the target. */
    auxCoef: z.number().min(0).max(1).default(0.5).describe("final weight of the student's own hardened prediction in the target"),
    /** Fraction of training over which that weight warms up. */
    warmup: z.number().min(0).max(1).default(0.1).describe('fraction of training over which that weight warms up'),
    gtWeight,
  })
  .strict();

export const LOSS_ENTRIES = {
  ceiling: { schema: CeilingLossSchema, traits: { needsTeacher: false, groundTruthOnly: true } },
  hard: { schema: HardLossSchema, traits: { needsTeacher: true, groundTruthOnly: false } },
  kd: { schema: KdLossSchema, traits: { needsTeacher: true, groundTruthOnly: false } },
  augconf: { schema: AugConfLossSchema, traits: { needsTeacher: true, groundTruthOnly: false } },
  adaptconf: { schema: AdaptConfLossSchema, traits: { needsTeacher: true, groundTruthOnly: false } },
  logconf: { schema: LogConfLossSchema, traits: { needsTeacher: true, groundTruthOnly: false } },
} as const satisfies { readonly [M in LossMethod]: { readonly schema: z.ZodObject<{ method: z.ZodLiteral<M> }>; readonly traits: LossTraits } };

export function lossTraits(method: LossMethod): LossTraits {
  return LOSS_ENTRIES[method].traits;
}

/** Names of a method's parameters, `method` excluded. */
export function lossParameters(method: LossMethod): string[] {
  return Object.keys(LOSS_ENTRIES[method].schema.shape).filter((key) => key !== 'method');
}

/** Names the loss fields had before each method had its own: still read, with a warning naming the new field. */
const DEPRECATED_NAMES: { readonly [M in LossMethod]?: Readonly<Record<string, string>> } = {
  augconf: { threshold: 'finalAlpha', rate: 'rampFraction' },
  adaptconf: { threshold: 'theta' },
};

function isLossMethod(value: unknown): value is LossMethod {
  return typeof value === 'string' && (LOSS_METHODS as readonly string[]).includes(value);
}

/** One line per deprecated field name in a loss entry (or a student, which holds one). */
export function deprecatedLossFields(value: unknown): string[] {
  if (typeof value !== 'object' || value === null || !isLossMethod((value as { method?: unknown }).method)) return [];
  const method = (value as { method: LossMethod }).method;
  const renames = DEPRECATED_NAMES[method] ?? {};
  return Object.keys(value)
    .filter((key) => Object.hasOwn(renames, key))
    .map((key) => `${key} is deprecated for loss method ${method}: use ${renames[key]}`);
}

/**
 * Before the entry is parsed: deprecated names become the new ones, and a
 * field the method does not take is refused with one line that says which
 * fields it does take. `extra` names fields the enclosing object adds
 * (a student's name, model...).
 */
function prepareLossFields(extra: readonly string[]) {
  return (value: unknown, ctx: z.core.$RefinementCtx): unknown => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
    const method = (value as { method?: unknown }).method;
    if (!isLossMethod(method)) return value;
    const renames = DEPRECATED_NAMES[method] ?? {};
    const allowed = new Set(['method', ...lossParameters(method), ...extra]);
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) {
      const name = renames[key] ?? key;
      if (!allowed.has(name)) {
        ctx.addIssue({ code: 'custom', path: [key], message: `"${key}" is not a setting of loss method ${method} (it takes: ${lossParameters(method).join(', ') || 'nothing'})`, input: value });
        continue;
      }
      if (name !== key && Object.hasOwn(value, name)) {
        ctx.addIssue({ code: 'custom', path: [key], message: `give ${name} only (${key} is its deprecated name)`, input: value });
        continue;
      }
      out[name] = field;
    }
    return out;
  };
}

const LossEntrySchema = z.discriminatedUnion('method', [CeilingLossSchema, HardLossSchema, KdLossSchema, AugConfLossSchema, AdaptConfLossSchema, LogConfLossSchema]);
export const LossConfigSchema = z.preprocess(prepareLossFields([]), LossEntrySchema);
export type LossConfig = z.infer<typeof LossEntrySchema>;
/** A loss entry as written, defaults left out (deprecated names are also read, but not typed). */
export type LossConfigInput = z.input<typeof LossEntrySchema>;
export type LossConfigOf<M extends LossMethod> = Extract<LossConfig, { readonly method: M }>;

/** The weight of the ground-truth term a method adds to its loss (0 for `ceiling`, which is ground truth alone). */
export function groundTruthWeight(config: LossConfig): number {
  return 'gtWeight' in config ? config.gtWeight : 0;
}

/**
 * A loss entry with more fields around it (a student: its name and overrides):
 * the same preparation, the same one-line errors.
 */
export function withLossEntry<Shape extends z.ZodRawShape>(shape: Shape) {
  return z.preprocess(
    prepareLossFields(Object.keys(shape)),
    z.discriminatedUnion('method', [
      CeilingLossSchema.extend(shape).strict(),
      HardLossSchema.extend(shape).strict(),
      KdLossSchema.extend(shape).strict(),
      AugConfLossSchema.extend(shape).strict(),
      AdaptConfLossSchema.extend(shape).strict(),
      LogConfLossSchema.extend(shape).strict(),
    ]),
  );
}
