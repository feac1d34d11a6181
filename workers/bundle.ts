/**
 * The workflow bundle. Bundling with webpack takes seconds, so the result is
 * cached on disk keyed by the hash of the compiled workflow sources: every
 * worker process after the first starts at once, and a code change rebuilds it.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';

const distRoot = dirname(dirname(fileURLToPath(import.meta.url)));
export const workflowsPath = join(distRoot, 'workflows', 'index.js');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? sourceFiles(path) : name.endsWith('.js') ? [path] : [];
    })
    .sort();
}

/** Hash of everything the bundle is built from: workflow code and the schemas it imports. */
function bundleKey(): string {
  const hash = createHash('sha256');
  for (const dir of ['workflows', 'schemas', 'core']) {
    for (const file of sourceFiles(join(distRoot, dir))) hash.update(file.slice(distRoot.length)).update(readFileSync(file));
  }
  return hash.digest('hex').slice(0, 16);
}

export async function workflowBundlePath(cacheDir = process.env.W2S_BUNDLE_CACHE ?? join(tmpdir(), 'w2s-workflow-bundles')): Promise<string> {
  const path = join(cacheDir, `workflows-${bundleKey()}.js`);
  if (existsSync(path)) return path;
  // Webpack's statistics are noise outside a failure; warnings and errors still surface.
  const { code } = await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
  mkdirSync(cacheDir, { recursive: true });
  // Write then rename, so a concurrent worker never loads a half-written bundle.
  const partial = `${path}.${process.pid}.partial`;
  writeFileSync(partial, code);
  renameSync(partial, path);
  return path;
}
