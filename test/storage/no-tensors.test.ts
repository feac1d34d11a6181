/**
 * storage/ holds no tensors: its index imports without loading TensorFlow.js,
 * so a caller that only needs object stores, shards or manifests pays
 * nothing for it. A child process registers a resolve hook that refuses
 * every @tensorflow/* module and then imports the built index; the same
 * child importing the shard-backed batch source (stages/, which joins
 * storage and ml) must be refused, which shows that the hook does catch
 * TensorFlow.js when it is loaded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const distRoot = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

/** ESM resolve hook: any @tensorflow module is an error that names it. */
const REFUSE_TFJS_HOOK = `
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if (/(^|\\/)@tensorflow\\//.test(specifier) || resolved.url.includes('/node_modules/@tensorflow/')) {
    throw new Error('TensorFlow.js loaded: ' + specifier + ' (from ' + context.parentURL + ')');
  }
  return resolved;
}
`;

/** Imports `module` in a fresh node with the hook registered; prints what CommonJS loaded of @tensorflow. */
function importWithoutTfjs(module: string): { status: number | null; stdout: string; stderr: string } {
  const hook = `data:text/javascript,${encodeURIComponent(REFUSE_TFJS_HOOK)}`;
  const script = `
    import { register, createRequire } from 'node:module';
    register(${JSON.stringify(hook)});
    await import(${JSON.stringify(pathToFileURL(join(distRoot, module)).href)});
    const cache = createRequire(import.meta.url).cache;
    const loaded = Object.keys(cache).filter((path) => path.includes('/@tensorflow/'));
    console.log(JSON.stringify({ loaded }));
  `;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, W2S_BACKEND: 'cpu' } });
  return { status: child.status, stdout: child.stdout, stderr: child.stderr };
}

test('storage/index.js imports without loading any @tensorflow module', () => {
  const result = importWithoutTfjs('storage/index.js');
  assert.equal(result.status, 0, `importing storage/index.js failed:\n${result.stderr}`);
  const line = result.stdout.trim().split('\n').at(-1) ?? '';
  assert.deepEqual(JSON.parse(line), { loaded: [] });
});

test('the hook refuses TensorFlow.js where it is loaded: the shard-backed batch source in stages/', () => {
  const result = importWithoutTfjs('stages/shard-source.js');
  assert.notEqual(result.status, 0);
  assert.match(result.stderr, /TensorFlow\.js loaded: @tensorflow\//);
});
