export { BACKBONE_MODES, BackboneCutSchema, BackboneInputSchema } from './config.js';
export type { BackboneCut, BackboneInput, BackboneMode } from './config.js';
export { backboneFeatures, backboneInput, buildImportedModel, importBackbone, importedModelName, loadImportedWeights } from './imported.js';
export type { ImportedBackbone, ImportedModelOptions } from './imported.js';
export { filesLoadHandler, loadLayersModelFrom, readLayersModelFiles, storeSaveHandler, MODEL_JSON } from './layers-io.js';
export type { BlobReader, BlobWriter, LayersModelFiles } from './layers-io.js';
export { assignProbeHead, computeFeatures, extractFeatureShards } from './features.js';
export type { ComputedFeatures, FeatureExtractor, ShardFeatures } from './features.js';
