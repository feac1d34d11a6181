/**
 * The reference of every run-config field, generated from the zod schemas
 * (through their JSON Schema) so it cannot drift from what is validated:
 * each field's type, default, allowed range or values, and description.
 * `npm run docs:config` writes it to docs/config.md; a test checks that the
 * committed file is what this prints.
 */
import { z } from 'zod';
import { RunConfigSchema } from '../schemas/pipeline.js';

/** The part of JSON Schema that zod emits for the run config. */
interface JsonSchema {
  readonly type?: string | readonly string[];
  readonly description?: string;
  readonly default?: unknown;
  readonly const?: unknown;
  readonly enum?: readonly unknown[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
  readonly minLength?: number;
  readonly pattern?: string;
  readonly minItems?: number;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly items?: JsonSchema;
  readonly anyOf?: readonly JsonSchema[];
  readonly oneOf?: readonly JsonSchema[];
}

interface Row {
  readonly path: string;
  readonly type: string;
  readonly required: boolean;
  readonly defaultValue: string;
  readonly allowed: string;
  readonly description: string;
}

/** Largest safe integer: zod's bound on every `int()`, which says nothing to a reader. */
const SAFE_MAX = Number.MAX_SAFE_INTEGER;

function typeOf(schema: JsonSchema): string {
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants) return [...new Set(variants.map(typeOf))].join(' | ');
  if (schema.type === 'array') return `${schema.items ? typeOf(schema.items) : 'value'}[]`;
  if (Array.isArray(schema.type)) return schema.type.join(' | ');
  return typeof schema.type === 'string' ? schema.type : 'value';
}

function allowedOf(schema: JsonSchema): string {
  const parts: string[] = [];
  if (schema.enum) parts.push(schema.enum.map((v) => `\`${String(v)}\``).join(', '));
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants?.every((v) => v.const !== undefined)) parts.push(variants.map((v) => `\`${String(v.const)}\``).join(', '));
  const low = schema.minimum !== undefined ? `≥ ${schema.minimum}` : schema.exclusiveMinimum !== undefined ? `> ${schema.exclusiveMinimum}` : undefined;
  const high = schema.maximum !== undefined && schema.maximum < SAFE_MAX ? `≤ ${schema.maximum}` : schema.exclusiveMaximum !== undefined ? `< ${schema.exclusiveMaximum}` : undefined;
  if (low || high) parts.push([low, high].filter(Boolean).join(', '));
  if (schema.pattern) parts.push(`matches \`${schema.pattern}\``);
  if (schema.minLength !== undefined && schema.minLength > 0) parts.push('not empty');
  if (schema.minItems !== undefined && schema.minItems > 0) parts.push(`at least ${schema.minItems}`);
  if (schema.type === 'array' && schema.items?.enum) parts.push(`each of ${schema.items.enum.map((v) => `\`${String(v)}\``).join(', ')}`);
  return parts.join('; ');
}

/** Object defaults are listed field by field below them; a scalar default is shown as is. */
function defaultOf(schema: JsonSchema): string {
  if (schema.default === undefined) return '';
  if (typeof schema.default === 'object' && schema.default !== null && !Array.isArray(schema.default)) return '(each field\'s)';
  return `\`${JSON.stringify(schema.default)}\``;
}

function cell(text: string): string {
  // `<name>` would read as an HTML tag; `|` would end the cell.
  return text.replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/\n/g, ' ');
}

function rowsOf(schema: JsonSchema, prefix: string, note = ''): Row[] {
  const rows: Row[] = [];
  const required = new Set(schema.required ?? []);
  for (const [name, field] of Object.entries(schema.properties ?? {})) {
    const path = prefix ? `${prefix}.${name}` : name;
    const variants = field.type === 'array' ? field.items?.oneOf : undefined;
    rows.push({
      path: field.type === 'array' && (field.items?.properties || variants) ? `${path}[]` : path,
      type: variants ? 'object[]' : typeOf(field),
      required: required.has(name) && field.default === undefined,
      defaultValue: defaultOf(field),
      allowed: allowedOf(field),
      description: `${field.description ?? ''}${note}`,
    });
    if (field.properties) rows.push(...rowsOf(field, path));
    if (field.type === 'array' && field.items?.properties) rows.push(...rowsOf(field.items, `${path}[]`));
    if (variants) rows.push(...variantRows(variants, `${path}[]`));
  }
  return rows;
}

/**
 * A list whose entries take different fields by a discriminator (students by
 * `method`): the discriminator with its values, then each field once, with
 * the values it belongs to when not all of them take it.
 */
function variantRows(variants: readonly JsonSchema[], prefix: string): Row[] {
  const discriminator = Object.keys(variants[0]?.properties ?? {}).find((key) => variants.every((v) => v.properties?.[key]?.const !== undefined));
  if (!discriminator) return rowsOf(variants[0] ?? {}, prefix);
  const values = variants.map((v) => String(v.properties?.[discriminator]?.const));
  const rows: Row[] = [
    {
      path: `${prefix}.${discriminator}`,
      type: 'string',
      required: true,
      defaultValue: '',
      allowed: values.map((v) => `\`${v}\``).join(', '),
      description: variants.map((v) => `\`${String(v.properties?.[discriminator]?.const)}\`: ${v.properties?.[discriminator]?.description ?? ''}`).join('; '),
    },
  ];
  const seen = new Set([discriminator]);
  for (const variant of variants) {
    for (const [name, field] of Object.entries(variant.properties ?? {})) {
      if (seen.has(name)) continue;
      seen.add(name);
      const takers = variants.filter((v) => v.properties?.[name] !== undefined).map((v) => String(v.properties?.[discriminator]?.const));
      const only = takers.length === variants.length ? '' : ` (only for ${discriminator} ${takers.map((t) => `\`${t}\``).join(', ')})`;
      rows.push(...rowsOf({ properties: { [name]: field }, required: variant.required ?? [] }, prefix, only));
    }
  }
  return rows;
}

/** The run config's JSON Schema (as written by a user: defaults make fields optional). */
export function runConfigJsonSchema(): JsonSchema {
  return z.toJSONSchema(RunConfigSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
}

export function configReferenceMarkdown(): string {
  const schema = runConfigJsonSchema();
  const rows = rowsOf(schema, '');
  const header = ['Field', 'Type', 'Required', 'Default', 'Allowed', 'Description'];
  const lines = [
    '# Run config reference',
    '',
    'Every field of a run config (`w2s run --config <file>`, YAML or JSON), generated from the zod schemas in `schemas/`',
    'by `npm run docs:config`; a test fails when this file and the schemas disagree. Unknown fields are errors.',
    'A nested object with a default may be left out whole; its fields then take their own defaults.',
    '',
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| \`${r.path}\` | ${cell(r.type)} | ${r.required ? 'yes' : ''} | ${cell(r.defaultValue)} | ${cell(r.allowed)} | ${cell(r.description.trim())} |`),
  ];
  return `${lines.join('\n')}\n`;
}
