/** A configuration as rows of dotted keys and values, the way people read a config diff. */

export interface ConfigEntry {
  readonly key: string;
  readonly value: string;
}

export function flattenConfig(config: unknown): ConfigEntry[] {
  const entries: ConfigEntry[] = [];
  const visit = (value: unknown, key: string) => {
    if (Array.isArray(value)) {
      if (value.length === 0 || value.every((v) => v === null || typeof v !== 'object')) entries.push({ key, value: JSON.stringify(value) });
      else value.forEach((item, i) => visit(item, `${key}[${i}]`));
    } else if (value !== null && typeof value === 'object') {
      const fields = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
      if (fields.length === 0) entries.push({ key, value: '{}' });
      for (const [name, v] of fields.sort(([a], [b]) => a.localeCompare(b))) visit(v, key ? `${key}.${name}` : name);
    } else {
      entries.push({ key, value: typeof value === 'string' ? value : JSON.stringify(value) });
    }
  };
  visit(config, '');
  return entries;
}
