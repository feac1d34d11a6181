/**
 * Builds the Lambda worker into dist/: handler.mjs (this folder's handler
 * with w2s's compiled activities, dist/ at the repository root, bundled in)
 * and workflow-bundle.js (w2s's compiled workflows, bundled by the 1.23
 * workflow bundler that the Lambda worker runs). Packages stay external and
 * are resolved at run time from node_modules next to dist/: @temporalio/*
 * from this folder's (1.23), the rest from the repository's.
 * Run `npx tsc -p tsconfig.json` at the repository root first.
 */
/* global console, process */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { bundleWorkflowCode } from '@temporalio/worker';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const repoDist = join(here, '..', '..', 'dist');
const out = join(here, 'dist');
for (const file of ['activities/index.js', 'workflows/index.js']) {
  if (!existsSync(join(repoDist, file))) throw new Error(`${join(repoDist, file)} is missing: run npx tsc -p tsconfig.json at the repository root first`);
}
await mkdir(out, { recursive: true });

// The code version (lineage, stage cache keys) hashes the compiled files under dist/ at run time; bundled, they are
// not there, so the bundle carries the version those files give: the same one the repository's workers record.
const { codeVersion } = await import(pathToFileURL(join(repoDist, 'core', 'code-version.js')).href);
const version = codeVersion();
const fixedCodeVersion = {
  name: 'w2s-code-version',
  setup(b) {
    b.onLoad({ filter: /[\\/]dist[\\/]core[\\/]code-version\.js$/ }, () => ({
      contents: `export function codeVersion() { return ${JSON.stringify(version)}; }`,
      loader: 'js',
    }));
  },
};

const bundled = await build({
  entryPoints: [join(here, 'handler.mjs')],
  outfile: join(out, 'handler.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
  plugins: [fixedCodeVersion],
  metafile: true,
});

// The workflow sandbox must see the same @temporalio/workflow and common as the worker that runs it.
const temporalPackage = (name) => dirname(fileURLToPath(import.meta.resolve(`@temporalio/${name}/package.json`)));
const { code } = await bundleWorkflowCode({
  workflowsPath: join(repoDist, 'workflows', 'index.js'),
  webpackConfigHook: (config) => ({
    ...config,
    resolve: {
      ...config.resolve,
      alias: { ...config.resolve?.alias, '@temporalio/workflow': temporalPackage('workflow'), '@temporalio/common': temporalPackage('common') },
    },
  }),
});
await writeFile(join(out, 'workflow-bundle.js'), code);
console.log(`built ${join(out, 'handler.mjs')} (code version ${version}) and ${join(out, 'workflow-bundle.js')} (${(code.length / 1e6).toFixed(1)} MB)`);

if (process.argv.includes('--zip')) await packageZip(Object.values(bundled.metafile.outputs).flatMap((o) => o.imports));

/**
 * dist/w2s-lambda.zip, the function's code: the two bundles and a node_modules
 * with exactly the packages the handler imports, installed for Lambda's
 * linux-x64 (sharp's prebuilt binary): @temporalio/* at this folder's
 * versions, the rest at the repository's.
 */
async function packageZip(imports) {
  const pkgName = (path) => (path.startsWith('@') ? path.split('/').slice(0, 2).join('/') : path.split('/')[0]);
  const external = [...new Set(imports.filter((i) => i.external && !i.path.startsWith('node:')).map((i) => pkgName(i.path)))].sort();
  const ours = JSON.parse(await readFile(join(here, 'package.json'), 'utf8')).dependencies;
  const repo = JSON.parse(await readFile(join(here, '..', '..', 'package.json'), 'utf8'));
  const dependencies = {};
  for (const name of external) {
    const version = name.startsWith('@temporalio/') ? ours[name] : (repo.dependencies?.[name] ?? repo.optionalDependencies?.[name]);
    if (!version) throw new Error(`the handler imports ${name}, which neither deploy/lambda/package.json (for @temporalio/*) nor the repository's package.json lists`);
    if (name.startsWith('@tensorflow/tfjs-node')) continue; // optional native backends: Lambda runs wasm
    dependencies[name] = version;
  }
  const stage = join(out, 'package');
  await rm(stage, { recursive: true, force: true });
  await mkdir(stage, { recursive: true });
  for (const file of ['handler.mjs', 'workflow-bundle.js']) await copyFile(join(out, file), join(stage, file));
  await writeFile(join(stage, 'package.json'), JSON.stringify({ name: 'w2s-lambda-function', private: true, type: 'module', dependencies }, null, 2) + '\n');
  await run('npm', ['install', '--omit=dev', '--os=linux', '--cpu=x64', '--libc=glibc', '--no-audit', '--no-fund'], { cwd: stage, stdio: 'inherit' });
  await prune(join(stage, 'node_modules'));
  const zip = join(out, 'w2s-lambda.zip');
  await rm(zip, { force: true });
  await run('zip', ['-qr', zip, '.'], { cwd: stage, stdio: 'inherit' });
  console.log(`packaged ${zip} with ${Object.keys(dependencies).join(', ')}`);
}

/**
 * Lambda takes 250 MB unzipped. What no Node process on linux-x64 loads goes:
 * the native bridge for other platforms, source maps, and TensorFlow.js's
 * browser bundles (UMD, ES2017, FESM, minified); Node loads its *.node.js
 * builds and the ESM/CJS modules beside them.
 */
async function prune(modules) {
  const releases = join(modules, '@temporalio', 'core-bridge', 'releases');
  for (const platform of await readdir(releases)) if (platform !== 'x86_64-unknown-linux-gnu') await rm(join(releases, platform), { recursive: true });
  const browserBundle = /^tf(-[a-z]+)*\.(es2017\.|fesm\.)?(min\.)?js$/;
  const walk = async (dir, inTensorflowDist) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path, inTensorflowDist || (entry.name === 'dist' && /[\\/]@tensorflow[\\/][^\\/]+$/.test(dir)));
      else if (entry.name.endsWith('.map') || entry.name.endsWith('.min.js.html')) await rm(path);
      else if (inTensorflowDist && browserBundle.test(entry.name) && !entry.name.endsWith('.node.js')) await rm(path);
    }
  };
  await walk(modules, false);
}
