/**
 * Limits on what w2s parses from files a user hands it: a run config and an
 * imported model. Past one, the input is refused at once, naming the limit,
 * and never retried: a bigger or deeper file cannot fit on the next attempt
 * either. They sit far above any real config or model (a run config is a few
 * KiB; a converted ResNet-152's model.json has ~500 layers in ~1 MiB), and
 * below what exhausts a worker's memory or the parsers' stacks.
 */

/** A run config file (YAML or JSON). */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** Nesting of a run config's maps and lists (a real one is about 5 deep). */
export const MAX_CONFIG_DEPTH = 32;

/** An imported model's model.json (its topology; the weights are in shards). */
export const MAX_MODEL_JSON_BYTES = 32 * 1024 * 1024;
/** Nesting of model.json's objects and arrays (Keras configs are about 10 deep). */
export const MAX_MODEL_JSON_DEPTH = 64;
/** Layers of an imported model, nested models' layers included. */
export const MAX_MODEL_LAYERS = 10_000;
/** Elements of one weight tensor (2^28: 1 GiB of float32). */
export const MAX_TENSOR_ELEMENTS = 2 ** 28;
/** All weight shards of an imported model together. */
export const MAX_WEIGHT_BYTES = 2 * 1024 * 1024 * 1024;

/** `bytes` as a person reads a limit: `32 MiB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}

/**
 * How deeply `value`'s objects and arrays nest, counted without recursion
 * (a deep value must not overflow the stack of the check meant to refuse
 * it); counting stops once past `limit`.
 */
export function nestingDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    const level = depth + 1;
    if (level > deepest) deepest = level;
    if (deepest > limit) return deepest;
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (typeof child === 'object' && child !== null) stack.push({ value: child, depth: level });
    }
  }
  return deepest;
}
