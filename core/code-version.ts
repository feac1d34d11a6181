/**
 * The code version recorded in lineage and mixed into every stage cache key:
 * the package version plus a hash of the compiled code that computes stage
 * outputs. Any change to that code changes the version, so a cache hit always
 * means "same code, same config, same inputs".
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const distRoot = dirname(dirname(fileURLToPath(import.meta.url)));
const COMPUTING_LAYERS = ['core', 'schemas', 'ml', 'storage', 'stages', 'report', 'activities'];

let cached: string | undefined;

function files(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? files(path) : name.endsWith('.js') ? [path] : [];
    });
}

export function codeVersion(): string {
  if (cached) return cached;
  const pkg = JSON.parse(readFileSync(join(distRoot, '..', 'package.json'), 'utf8')) as { version: string };
  const hash = createHash('sha256');
  for (const layer of COMPUTING_LAYERS) {
    for (const file of files(join(distRoot, layer))) hash.update(file.slice(distRoot.length)).update(readFileSync(file));
  }
  cached = `${pkg.version}+${hash.digest('hex').slice(0, 12)}`;
  return cached;
}
