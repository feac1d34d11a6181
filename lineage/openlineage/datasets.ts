/**
 * Lineage objects as OpenLineage datasets, named by the OpenLineage naming
 * convention for object stores: a local file is namespace `file` with its
 * absolute path as name; a GCS object is namespace `gs://<bucket>` with the
 * object path as name. The version is the object's sha256, so two runs that
 * wrote the same bytes point at the same dataset version.
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BadInputError } from '../../core/errors.js';
import type { LineageObject } from '../../schemas/lineage.js';
import { IMAGE_COLUMNS, SOFT_LABEL_COLUMNS } from '../../storage/arrow/schemas.js';
import { objectUri } from '../../storage/uri.js';
import { facet, type Facet, type SchemaField } from './facets.js';

export interface DatasetFacets {
  readonly version: Facet<{ datasetVersion: string }>;
  readonly storage: Facet<{ storageLayer: string; fileFormat?: string }>;
  readonly schema?: Facet<{ fields: readonly SchemaField[] }>;
}

export interface InputDataset {
  readonly namespace: string;
  readonly name: string;
  readonly facets: DatasetFacets;
}

export interface OutputDataset extends InputDataset {
  readonly outputFacets: {
    readonly outputStatistics: Facet<{ size: number; rowCount?: number }>;
  };
}

export function datasetName(uri: string): { namespace: string; name: string } {
  const gcs = /^gs:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (gcs?.[1] && gcs[2]) return { namespace: `gs://${gcs[1]}`, name: gcs[2] };
  if (uri.startsWith('file:')) return { namespace: 'file', name: fileURLToPath(uri) };
  if (uri.startsWith('/')) return { namespace: 'file', name: uri };
  throw new BadInputError(`lineage object URI "${uri}"`, 'is neither a file nor a gs:// URI, so it has no OpenLineage dataset name');
}

const FILE_FORMATS: Readonly<Record<string, string>> = {
  '.arrow': 'arrow',
  '.json': 'json',
  '.md': 'markdown',
  '.html': 'html',
  '.csv': 'csv',
  '.txt': 'text',
  '.bin': 'binary',
};

function isArrow(object: LineageObject): boolean {
  return extname(object.key) === '.arrow';
}

/**
 * Columns of the Arrow shards, known from the object's role. The optional
 * `clean_label` column of label-noise splits is not visible from lineage,
 * so it is left out rather than guessed.
 */
function shardFields(object: LineageObject): SchemaField[] | undefined {
  if (!isArrow(object)) return undefined;
  if (object.role === 'shard') {
    return [
      { name: IMAGE_COLUMNS.index, type: 'uint32', description: 'example id, stable across the dataset' },
      { name: IMAGE_COLUMNS.label, type: 'int16', description: 'class label (null: unlabeled)' },
      { name: IMAGE_COLUMNS.image, type: 'fixed_size_binary', description: 'uint8 pixels, height x width x channels' },
    ];
  }
  if (object.role === 'soft-labels') {
    return [
      { name: SOFT_LABEL_COLUMNS.index, type: 'uint32', description: 'example id of the image shard row' },
      { name: SOFT_LABEL_COLUMNS.logits, type: 'fixed_size_list', description: 'teacher logits, one per class', fields: [{ name: 'item', type: 'float32' }] },
    ];
  }
  return undefined;
}

function datasetFacets(object: LineageObject, producer: string): DatasetFacets {
  const fileFormat = FILE_FORMATS[extname(object.key)];
  const fields = shardFields(object);
  return {
    version: facet('DatasetVersionDatasetFacet', producer, { datasetVersion: object.sha256 }),
    storage: facet('StorageDatasetFacet', producer, { storageLayer: isArrow(object) ? 'arrow' : 'object', ...(fileFormat ? { fileFormat } : {}) }),
    ...(fields ? { schema: facet('SchemaDatasetFacet', producer, { fields }) } : {}),
  };
}

export function inputDataset(object: LineageObject, storage: string, producer: string): InputDataset {
  return { ...datasetName(objectUri(storage, object.key)), facets: datasetFacets(object, producer) };
}

/** `rowCount` is given only when known: the stage's `rows` metric, for a stage that wrote a single Arrow shard. */
export function outputDataset(object: LineageObject, storage: string, producer: string, rowCount: number | undefined): OutputDataset {
  return {
    ...inputDataset(object, storage, producer),
    outputFacets: {
      outputStatistics: facet('OutputStatisticsOutputDatasetFacet', producer, { size: object.bytes, ...(rowCount !== undefined ? { rowCount } : {}) }),
    },
  };
}
