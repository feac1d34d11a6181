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

/**
 * The entries that shape this run: the schema fills every default, and some
 * only apply to another choice (CIFAR's label set for IDX data, a test share
 * for a source with its own test set, Adam's betas for SGD), which a reader
 * would take for settings that mattered.
 */
export function applicableConfig(entries: readonly ConfigEntry[]): ConfigEntry[] {
  const value = new Map(entries.map((e) => [e.key, e.value]));
  const sibling = (key: string, suffix: string, name: string) => value.get(`${key.slice(0, key.length - suffix.length)}${name}`);
  return entries.filter(({ key }) => {
    if (key.endsWith('.cifarLabels')) return sibling(key, 'cifarLabels', 'format') === 'cifar';
    if (key.endsWith('.splits.test')) return sibling(key, 'splits.test', 'format') === 'folder';
    const optimizer = /\.optimizer\.(beta1|beta2|epsilon|momentum|nesterov)$/.exec(key);
    if (optimizer) {
      const name = sibling(key, optimizer[1]!, 'name');
      return optimizer[1] === 'momentum' || optimizer[1] === 'nesterov' ? name === 'sgd' : name !== 'sgd';
    }
    const schedule = /\.schedule\.(minLrFraction)$/.exec(key);
    if (schedule) return sibling(key, schedule[1]!, 'name') === 'cosine';
    return true;
  });
}
