/**
 * How a student uses an imported backbone: where to cut it, how images are
 * brought to what it expects, and whether its weights learn.
 */
import { z } from 'zod';

export const BACKBONE_MODES = ['finetune', 'probe'] as const;
/** `finetune`: every weight learns; `probe`: the backbone is frozen and only the new head learns. */
export type BackboneMode = (typeof BACKBONE_MODES)[number];

export const BackboneInputSchema = z
  .object({
    /** `[height, width]` the backbone was trained on; images are resized (bilinear) to it. Default: the model's own input size. */
    size: z.tuple([z.number().int().positive(), z.number().int().positive()]).optional(),
    /**
     * Per-channel mean and std in [0, 1] pixel units that the backbone
     * expects: it sees (pixel / 255 - mean) / std. MobileNet-style [-1, 1]
     * inputs are mean 0.5, std 0.5; ImageNet statistics are
     * [0.485, 0.456, 0.406] / [0.229, 0.224, 0.225].
     */
    mean: z.array(z.number()).min(1).default([0]),
    std: z.array(z.number().positive()).min(1).default([1]),
  })
  .strict();
export type BackboneInput = z.infer<typeof BackboneInputSchema>;

export const BackboneCutSchema = z
  .object({
    /** Name of the layer whose output is the feature; default: the layer feeding the model's last layer (its classifier). */
    layer: z.string().min(1).optional(),
    /** How a feature map `[h, w, c]` becomes a vector: global average (default) or flattening. */
    pooling: z.enum(['avg', 'flatten']).default('avg'),
  })
  .strict();
export type BackboneCut = z.infer<typeof BackboneCutSchema>;
