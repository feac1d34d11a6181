/**
 * How a student uses an imported backbone: where to cut it, how images are
 * brought to what it expects, and whether its weights learn. The schemas
 * are the run config's (schemas/pretrain.ts), so a config and a library
 * caller describe a backbone alike.
 */
import { INIT_MODES, type InitMode } from '../../schemas/pretrain.js';

export { BackboneCutSchema, BackboneInputSchema } from '../../schemas/pretrain.js';
export type { BackboneCut, BackboneInput } from '../../schemas/pretrain.js';

export const BACKBONE_MODES = INIT_MODES;
/** `finetune`: every weight learns; `probe`: the backbone is frozen and only the new head learns. */
export type BackboneMode = InitMode;
