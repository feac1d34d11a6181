/**
 * How a strong student starts: from scratch (no `init`), from a backbone the
 * `pretrain` stage learns from unlabeled training images (the run's dataset's,
 * or those of a dataset of its own: transfer), or
 * from a backbone already in storage. Also the augmentations of contrastive
 * views, which ml/pretrain applies and the run config names.
 */
import { z } from 'zod';
import { IMAGE_DATA_FORMATS, IngestOptionsSchema } from './manifest.js';

const Range = z.tuple([z.number(), z.number()]).refine(([a, b]) => a <= b, 'range must be [low, high] with low <= high');

export const ViewAugmentSchema = z
  .object({
    cropScale: Range.default([0.2, 1]).describe("area of the crop as a fraction of the image, [low, high] (torchvision's RandomResizedCrop scale)"),
    cropRatio: Range.default([3 / 4, 4 / 3]).describe('aspect ratio (width / height) of the crop, [low, high], drawn log-uniformly'),
    flip: z.boolean().default(true).describe('mirror left-right with probability 1/2'),
    brightness: z.number().min(0).default(0.4).describe('brightness offset drawn from [-b, b] (normalised units)'),
    contrast: z.number().min(0).max(1).default(0.4).describe('contrast factor drawn from [1 - c, 1 + c]'),
    eraseProbability: z.number().min(0).max(1).default(0.25).describe('probability of erasing one rectangle per view'),
    eraseScale: Range.default([0.02, 0.2]).describe('area of the erased rectangle as a fraction of the image, [low, high]'),
  })
  .strict();
export type ViewAugment = z.infer<typeof ViewAugmentSchema>;
export type ViewAugmentInput = z.input<typeof ViewAugmentSchema>;

/**
 * `simclr`: two augmented views per image, NT-Xent over a projection head;
 * reads no label. `supervised`: the images' labels through a linear head,
 * from the run's `pool` split or `dataset`'s training splits only.
 */
export const PRETRAIN_METHODS = ['simclr', 'supervised'] as const;

/**
 * Data a backbone is pretrained on instead of the run's own: a source and
 * ingest options as in `dataset` (e.g. the same source with other `classes`).
 * Its training images (every split but test) are what the pretraining sees,
 * with their labels for `supervised`.
 */
export const PretrainDatasetSchema = IngestOptionsSchema.extend({
  source: z.string().min(1).describe('the source files: a local folder or a storage URI (gs://bucket/prefix) the workers read'),
  format: z.enum(IMAGE_DATA_FORMATS).default('idx').describe('how the source is laid out (images: pretraining learns a backbone from images, so not embeddings)'),
}).strict();
export type PretrainDataset = z.infer<typeof PretrainDatasetSchema>;

/** The settings only SimCLR has, with their defaults. */
const SIMCLR_DEFAULTS = { temperature: 0.5, projectionDims: [128, 64] as [number, number], augment: ViewAugmentSchema.parse({}) };
const SIMCLR_ONLY = Object.keys(SIMCLR_DEFAULTS) as Array<keyof typeof SIMCLR_DEFAULTS>;

/**
 * Pretraining of the student's own architecture (the encoder is the
 * student's `model`), self-supervised or on labels the task never sees.
 * Every field is part of the stage's cache key; the run's seed is not, so
 * one backbone serves every seed.
 */
const PretrainFieldsSchema = z
  .object({
    method: z.enum(PRETRAIN_METHODS).default('simclr').describe('simclr: self-supervised, no label read; supervised: the labels of the pool split (dataset.splits.pool) or of pretrain.dataset'),
    epochs: z.number().int().positive().max(100_000).describe('passes over the pretraining images'),
    batchSize: z.number().int().min(2).max(65_536).default(256).describe('images per step; for simclr each has 2 * batchSize - 2 negatives, so larger is better where memory allows'),
    temperature: z.number().positive().optional().describe(`NT-Xent temperature (simclr only; default ${SIMCLR_DEFAULTS.temperature})`),
    representationDim: z.number().int().positive().max(65_536).default(128).describe("width of the encoder's output, the representation the student's classifier reads"),
    projectionDims: z
      .tuple([z.number().int().positive().max(65_536), z.number().int().positive().max(65_536)])
      .optional()
      .describe('hidden and output widths of the projection head, thrown away after pretraining (simclr only; default [128, 64])'),
    lr: z.number().positive().default(1e-3).describe('AdamW learning rate'),
    weightDecay: z.number().min(0).default(1e-4).describe('AdamW decoupled weight decay'),
    augment: ViewAugmentSchema.optional().describe('how the two views of an image are drawn (simclr only)'),
    /**
     * Pretrain on this data instead of the run's training images (transfer:
     * another source, or other classes of the same one). The cache key is the
     * images' content, not where they came from.
     */
    dataset: PretrainDatasetSchema.optional().describe("pretrain on this data (source and ingest options, as in dataset) instead of the run's training images (simclr) or pool split (supervised)"),
    seed: z.number().int().min(0).max(2 ** 32 - 1).default(0).describe("keys the encoder's initial weights, the image order and the views (not the run's seed: one backbone serves every seed)"),
  })
  .strict();
type PretrainFields = z.infer<typeof PretrainFieldsSchema>;
type CommonFields = Omit<PretrainFields, 'method' | (typeof SIMCLR_ONLY)[number]>;
/** A SimCLR pretraining, its own settings resolved. */
export type SimclrPretrainConfig = CommonFields & { readonly method: 'simclr'; readonly temperature: number; readonly projectionDims: [number, number]; readonly augment: ViewAugment };
export type SupervisedPretrainConfig = CommonFields & { readonly method: 'supervised' };
export type PretrainConfig = SimclrPretrainConfig | SupervisedPretrainConfig;

function resolvePretrain(fields: PretrainFields): PretrainConfig {
  const { method, temperature, projectionDims, augment, ...common } = fields;
  if (method === 'supervised') return { ...common, method };
  // SimCLR's own settings get their defaults here, so its parsed config (and cache key) is what it always was.
  return { ...common, method, temperature: temperature ?? SIMCLR_DEFAULTS.temperature, projectionDims: projectionDims ?? SIMCLR_DEFAULTS.projectionDims, augment: augment ?? SIMCLR_DEFAULTS.augment };
}

export const PretrainConfigSchema = PretrainFieldsSchema.superRefine((pretrain, ctx) => {
  if (pretrain.method === 'simclr') return;
  for (const field of SIMCLR_ONLY) {
    if (pretrain[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: `is a simclr setting; ${pretrain.method} pretraining has none (remove it)` });
  }
}).transform(resolvePretrain);
export type PretrainConfigInput = z.input<typeof PretrainConfigSchema>;

export const INIT_MODES = ['finetune', 'probe'] as const;
/** `finetune`: every weight learns; `probe`: the backbone is frozen and only the new classifier learns. */
export type InitMode = (typeof INIT_MODES)[number];

/** Formats of models that run as shipped, frozen: they serve `probe` students only. */
export const FROZEN_FORMATS = ['onnx', 'graph-model'] as const;
export type FrozenFormat = (typeof FROZEN_FORMATS)[number];
/** Every format `init.imported` recognises, from the file itself. */
export const IMPORTED_FORMATS = ['layers-model', ...FROZEN_FORMATS] as const;
export type ImportedFormat = (typeof IMPORTED_FORMATS)[number];

export const BACKBONE_LAYOUTS = ['NCHW', 'NHWC'] as const;
export type BackboneLayout = (typeof BACKBONE_LAYOUTS)[number];

/** How images are brought to what an imported backbone was trained on. */
export const BackboneInputSchema = z
  .object({
    /** `[height, width]` the backbone was trained on; images are resized (bilinear) to it. Default: the model's own input size. */
    size: z.tuple([z.number().int().positive().max(4096), z.number().int().positive().max(4096)]).optional().describe("[height, width] the backbone takes; images are resized (bilinear) to it (default: the model's input size)"),
    /**
     * Per-channel mean and std in [0, 1] pixel units that the backbone
     * expects: it sees (pixel / 255 - mean) / std. MobileNet-style [-1, 1]
     * inputs are mean 0.5, std 0.5; ImageNet statistics are
     * [0.485, 0.456, 0.406] / [0.229, 0.224, 0.225].
     */
    mean: z.array(z.number()).min(1).default([0]).describe('per-channel mean in [0, 1] pixel units the backbone expects: it sees (pixel / 255 - mean) / std'),
    std: z.array(z.number().positive()).min(1).default([1]).describe('per-channel std in [0, 1] pixel units the backbone expects'),
    /**
     * Where the channels sit in the input of an ONNX or graph model; read
     * from the model's input shape where it tells ([batch, 3, h, w] is NCHW).
     * Layers models are always NHWC.
     */
    layout: z.enum(BACKBONE_LAYOUTS).optional().describe("NCHW (PyTorch's exports) or NHWC (TensorFlow's): where the channels sit in the model's input (default: read from its input shape)"),
    /** Channels the model takes where its input shape does not say (grey images are tiled to 3). */
    channels: z.number().int().positive().optional().describe("channels the model takes, where its input shape does not say (default: the model's)"),
  })
  .strict();
export type BackboneInput = z.infer<typeof BackboneInputSchema>;

export const BACKBONE_POOLING = ['avg', 'flatten'] as const;

export const BackboneCutSchema = z
  .object({
    /** Name of the layer whose output is the feature; default: the layer feeding the model's last layer (its classifier). */
    layer: z.string().min(1).optional(),
    /** How a feature map `[h, w, c]` becomes a vector: global average (default) or flattening. */
    pooling: z.enum(BACKBONE_POOLING).default('avg'),
  })
  .strict();
export type BackboneCut = z.infer<typeof BackboneCutSchema>;

/**
 * A model in storage, its format recognised from the file itself: a
 * TensorFlow.js Layers model (`model.json` and the weight shards it lists,
 * as `tensorflowjs_converter` or `model.save` write them), cut at a layer
 * and given a new head for the task; or a frozen model, an ONNX file or a
 * TensorFlow.js graph model, whose named output is the feature vector a
 * `probe` student's head reads.
 */
export const ImportedBackboneSchema = z
  .object({
    uri: z.string().min(1).describe('storage URI of the model: an ONNX file, or the model.json of a TensorFlow.js Layers or graph model (or its folder); weight shards sit beside model.json'),
    layer: z.string().min(1).optional().describe("Layers models: the layer whose output the new head reads (default: the layer feeding the model's last layer, its classifier)"),
    pooling: z.enum(BACKBONE_POOLING).default('avg').describe('Layers models: how a feature map [h, w, c] at the cut becomes a vector: global average or flattening'),
    output: z.string().min(1).optional().describe("ONNX and graph models: the output (ONNX output name, graph model output node) that gives one feature vector per image (default: the model's first output)"),
    input: BackboneInputSchema.default(BackboneInputSchema.parse({})).describe('how images are brought to what the model was trained on: size, mean, std, and for ONNX and graph models layout and channels'),
  })
  .strict();
export type ImportedBackboneConfig = z.infer<typeof ImportedBackboneSchema>;

/** Where a student's backbone comes from, and whether it learns. Exactly one of `pretrain`, `pretrained` and `imported`. */
export const StudentInitSchema = z
  .object({
    pretrain: PretrainConfigSchema.optional().describe('learn the backbone with the pretrain stage (cached: one pretraining serves every run asking for it)'),
    pretrained: z.string().min(1).optional().describe("storage URI of a backbone `w2s pretrain` printed (model weights of the student's architecture)"),
    /** A model from storage given a new head (a Layers model cut at a layer, or a frozen ONNX or graph model): the student's architecture is the model's, not `model`. */
    imported: ImportedBackboneSchema.optional().describe('a model in storage given a new head (the student is that model, not strong.model): a TensorFlow.js Layers model, cut at a layer, or, for probe students only, an ONNX file or a TensorFlow.js graph model'),
    mode: z.enum(INIT_MODES).default('finetune').describe('finetune: every weight learns; probe: the backbone is frozen and only the new classifier learns'),
  })
  .strict()
  .superRefine((init, ctx) => {
    const given = [init.pretrain, init.pretrained, init.imported].filter((x) => x !== undefined).length;
    if (given !== 1) {
      ctx.addIssue({ code: 'custom', message: 'give exactly one of pretrain (learn a backbone), pretrained (the storage URI of one) and imported (a model in storage: TensorFlow.js Layers or graph model, or ONNX)' });
    }
  });
export type StudentInit = z.infer<typeof StudentInitSchema>;
