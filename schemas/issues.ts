import type { z } from 'zod';

/**
 * Every problem zod found, one per line with its path, so a user fixes a
 * config in one pass. Given the schema and the value it refused, a line also
 * says what was given where zod does not (an unknown loss method), and
 * suggests the field or value the user probably meant (`strong.epoch`:
 * did you mean `epochs`?).
 */
export function formatZodIssues(where: string, error: z.ZodError, context?: { readonly schema: z.ZodType; readonly input: unknown }): string {
  const lines = error.issues.map((issue) => `  ${issue.path.length ? issue.path.join('.') : '(top level)'}: ${explained(issue, context)}`);
  return `${where}: invalid configuration\n${lines.join('\n')}`;
}

function explained(issue: z.core.$ZodIssue, context: { readonly schema: z.ZodType; readonly input: unknown } | undefined): string {
  if (!context) return issue.message;
  if (issue.code === 'unrecognized_keys') {
    const known = keysAt(context.schema, issue.path, context.input);
    const hints = issue.keys.flatMap((key) => {
      const near = closest(key, known);
      return near ? [`"${key}": did you mean "${near}"?`] : [];
    });
    if (issue.keys.length === 1 && hints.length === 1) return `${issue.message}; ${hints[0]!.replace(/^"[^"]*": /, '')}`;
    return hints.length ? `${issue.message} (${hints.join('; ')})` : issue.message;
  }
  const given = valueAt(context.input, issue.path);
  if (issue.code === 'invalid_union' && 'options' in issue && Array.isArray(issue.options)) {
    const options = issue.options.map(String);
    const near = typeof given === 'string' ? closest(given, options) : undefined;
    return `${JSON.stringify(given)} is not one of ${options.join(', ')}${near ? `; did you mean "${near}"?` : ''}`;
  }
  if (issue.code === 'invalid_value' && (typeof given === 'string' || typeof given === 'number')) {
    const near = typeof given === 'string' ? closest(given, issue.values.map(String)) : undefined;
    return `${issue.message}, got ${JSON.stringify(given)}${near ? `; did you mean "${near}"?` : ''}`;
  }
  return issue.message;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** The internals zod 4 exposes on every schema (`schema.def`), as far as this walk reads them. */
interface Def {
  readonly type: string;
  readonly shape?: Readonly<Record<string, z.ZodType>>;
  readonly element?: z.ZodType;
  readonly innerType?: z.ZodType;
  readonly out?: z.ZodType;
  readonly in?: z.ZodType;
  readonly options?: readonly z.ZodType[];
  readonly discriminator?: string;
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { def: Def }).def;

/** The field names an object at `path` may have, following the value into arrays and discriminated unions. */
function keysAt(schema: z.ZodType, path: readonly PropertyKey[], input: unknown): string[] {
  let current: z.ZodType | undefined = schema;
  let value = input;
  for (let i = 0; current && i <= path.length; ) {
    const def = defOf(current);
    if (def.innerType) current = def.innerType;
    else if (def.type === 'pipe') current = defOf(def.out!).type === 'transform' ? def.in : def.out;
    else if (def.type === 'union' && def.options) {
      const tag = def.discriminator && value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[def.discriminator] : undefined;
      current = def.options.find((option) => {
        const field = defOf(option).shape?.[def.discriminator ?? ''];
        return field !== undefined && (defOf(field) as Def & { values?: readonly unknown[] }).values?.includes(tag);
      });
    } else if (i === path.length) return def.shape ? Object.keys(def.shape) : [];
    else {
      const key = path[i]!;
      current = def.type === 'array' ? def.element : def.shape?.[String(key)];
      value = valueAt(value, [key]);
      i++;
    }
  }
  return [];
}

/** The candidate nearest to `word` in edits, if near enough to be a typo of it. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best !== undefined && bestDistance > 0 && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = row;
  }
  return previous[b.length]!;
}
