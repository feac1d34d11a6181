/**
 * Validates OpenLineage events against the schemas in schemas/openlineage/:
 * the event against OpenLineage.json, and every facets container against the
 * file of each facet it may hold (facet files are resolved by `$id`, and a
 * facet file's top level is an object whose properties are facet names).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsPlugin from 'ajv-formats';

export const SCHEMA_DIR = fileURLToPath(new URL('../../../schemas/openlineage/', import.meta.url));

export interface SchemaFile {
  readonly file: string;
  readonly schema: {
    readonly $id: string;
    readonly $defs: Record<string, unknown>;
    readonly properties?: Record<string, unknown>;
  };
}

export function schemaFiles(): SchemaFile[] {
  return readdirSync(SCHEMA_DIR)
    .filter((name) => name.endsWith('.json'))
    .map((file) => ({ file, schema: JSON.parse(readFileSync(join(SCHEMA_DIR, file), 'utf8')) as SchemaFile['schema'] }));
}

/** Which facet files apply to which facets container of a run event, by facet file name. */
const CONTAINERS = {
  run: ['ParentRunFacet', 'ProcessingEngineRunFacet', 'NominalTimeRunFacet', 'ErrorMessageRunFacet'],
  job: ['JobTypeJobFacet', 'SourceCodeLocationJobFacet'],
  dataset: ['DatasetVersionDatasetFacet', 'StorageDatasetFacet', 'SchemaDatasetFacet'],
  output: ['OutputStatisticsOutputDatasetFacet'],
} as const;
type Container = keyof typeof CONTAINERS;

// ajv-formats is CommonJS with a default export; under NodeNext it arrives as the module object.
const addFormats = addFormatsPlugin as unknown as (ajv: Ajv2020) => Ajv2020;

export class OpenLineageValidator {
  private readonly event: ValidateFunction;
  private readonly containers: Record<Container, { validate: ValidateFunction; facetNames: Set<string> }[]>;

  constructor() {
    // strictRequired is off: the spec's `not: { required: [job, run] }` names properties defined elsewhere, which is valid JSON Schema.
    const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
    addFormats(ajv);
    // The spec annotates fields with `example`; it is documentation, not validation.
    ajv.addKeyword('example');
    const files = schemaFiles();
    for (const { schema } of files) ajv.addSchema(schema);
    const byName = new Map(files.map((f) => [f.file.replace(/\.json$/, ''), f]));
    const event = ajv.getSchema('https://openlineage.io/spec/2-0-2/OpenLineage.json');
    if (!event) throw new Error('OpenLineage.json was not loaded');
    this.event = event;
    const container = (names: readonly string[]) =>
      names.map((name) => {
        const file = byName.get(name);
        if (!file) throw new Error(`facet schema ${name}.json is missing from ${SCHEMA_DIR}`);
        return { validate: ajv.compile({ $ref: file.schema.$id }), facetNames: new Set(Object.keys(file.schema.properties ?? {})) };
      });
    this.containers = { run: container(CONTAINERS.run), job: container(CONTAINERS.job), dataset: container(CONTAINERS.dataset), output: container(CONTAINERS.output) };
  }

  /** Every problem with the event, as readable lines; empty when it is valid. */
  problems(event: unknown): string[] {
    const problems = this.event(event) ? [] : describe('event', this.event.errors);
    const e = event as EventShape;
    problems.push(...this.checkContainer('run.facets', 'run', e.run?.facets));
    problems.push(...this.checkContainer('job.facets', 'job', e.job?.facets));
    (e.inputs ?? []).forEach((dataset, i) => problems.push(...this.checkContainer(`inputs[${i}].facets`, 'dataset', dataset.facets)));
    (e.outputs ?? []).forEach((dataset, i) => {
      problems.push(...this.checkContainer(`outputs[${i}].facets`, 'dataset', dataset.facets));
      problems.push(...this.checkContainer(`outputs[${i}].outputFacets`, 'output', dataset.outputFacets));
    });
    return problems;
  }

  private checkContainer(where: string, kind: Container, facets: Record<string, unknown> | undefined): string[] {
    if (facets === undefined) return [];
    const known = new Set(this.containers[kind].flatMap((c) => [...c.facetNames]));
    // A facet under a name no schema here defines would escape validation entirely.
    const problems = Object.keys(facets)
      .filter((name) => !known.has(name))
      .map((name) => `${where}.${name}: no facet schema defines this name`);
    for (const { validate } of this.containers[kind]) {
      if (!validate(facets)) problems.push(...describe(where, validate.errors));
    }
    return problems;
  }
}

interface EventShape {
  run?: { facets?: Record<string, unknown> };
  job?: { facets?: Record<string, unknown> };
  inputs?: { facets?: Record<string, unknown> }[];
  outputs?: { facets?: Record<string, unknown>; outputFacets?: Record<string, unknown> }[];
}

function describe(where: string, errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((error) => `${where}${error.instancePath}: ${error.message ?? error.keyword}`);
}
