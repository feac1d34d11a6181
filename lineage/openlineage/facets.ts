/**
 * The OpenLineage facets w2s emits. Each facet names the schema it follows
 * (`_schemaURL`: the facet file's `$id` plus `#/$defs/<FacetName>`) and who
 * produced it; the files themselves are in schemas/openlineage/.
 */

export const OPENLINEAGE_SCHEMA_ID = 'https://openlineage.io/spec/2-0-2/OpenLineage.json';
export const RUN_EVENT_SCHEMA_URL = `${OPENLINEAGE_SCHEMA_ID}#/$defs/RunEvent`;

/** Facet name -> the `$id` of the file that defines it. */
export const FACET_SCHEMA_IDS = {
  ParentRunFacet: 'https://openlineage.io/spec/facets/1-2-0/ParentRunFacet.json',
  ProcessingEngineRunFacet: 'https://openlineage.io/spec/facets/1-1-1/ProcessingEngineRunFacet.json',
  NominalTimeRunFacet: 'https://openlineage.io/spec/facets/1-0-1/NominalTimeRunFacet.json',
  ErrorMessageRunFacet: 'https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json',
  JobTypeJobFacet: 'https://openlineage.io/spec/facets/2-0-4/JobTypeJobFacet.json',
  DatasetVersionDatasetFacet: 'https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json',
  StorageDatasetFacet: 'https://openlineage.io/spec/facets/1-0-1/StorageDatasetFacet.json',
  SchemaDatasetFacet: 'https://openlineage.io/spec/facets/1-2-0/SchemaDatasetFacet.json',
  OutputStatisticsOutputDatasetFacet: 'https://openlineage.io/spec/facets/1-0-2/OutputStatisticsOutputDatasetFacet.json',
} as const;

export type FacetName = keyof typeof FACET_SCHEMA_IDS;

export interface BaseFacet {
  readonly _producer: string;
  readonly _schemaURL: string;
}

export type Facet<T extends object> = BaseFacet & T;

export function facet<T extends object>(name: FacetName, producer: string, fields: T): Facet<T> {
  return { _producer: producer, _schemaURL: `${FACET_SCHEMA_IDS[name]}#/$defs/${name}`, ...fields };
}

/** One field of a SchemaDatasetFacet (nested fields for list elements). */
export interface SchemaField {
  readonly name: string;
  readonly type: string;
  readonly description?: string;
  readonly fields?: readonly SchemaField[];
}
