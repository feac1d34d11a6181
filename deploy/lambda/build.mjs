/**
 * Builds the Lambda worker into dist/: handler.mjs (this folder's handler
 * with w2s's compiled activities, dist/ at the repository root, bundled in)
 * and workflow-bundle.js (w2s's compiled workflows, bundled by the 1.23
 * workflow bundler that the Lambda worker runs). Packages stay external and
 * are resolved at run time from node_modules next to dist/: @temporalio/*
 * from this folder's (1.23), the rest from the repository's.
 * Run `npx tsc -p tsconfig.json` at the repository root first.
 */
/* global console */
import { mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { bundleWorkflowCode } from '@temporalio/worker';

const here = dirname(fileURLToPath(import.meta.url));
const repoDist = join(here, '..', '..', 'dist');
const out = join(here, 'dist');
for (const file of ['activities/index.js', 'workflows/index.js']) {
  if (!existsSync(join(repoDist, file))) throw new Error(`${join(repoDist, file)} is missing: run npx tsc -p tsconfig.json at the repository root first`);
}
await mkdir(out, { recursive: true });

// The code version (lineage, stage cache keys) hashes the compiled files under dist/ at run time; bundled, they are
// not there, so the bundle carries the version those files give: the same one the repository's workers record.
const { codeVersion } = await import(pathToFileURL(join(repoDist, 'stages', 'code-version.js')).href);
const version = codeVersion();
const fixedCodeVersion = {
  name: 'w2s-code-version',
  setup(b) {
    b.onLoad({ filter: /[\\/]dist[\\/]stages[\\/]code-version\.js$/ }, () => ({
      contents: `export function codeVersion() { return ${JSON.stringify(version)}; }`,
      loader: 'js',
    }));
  },
};

await build({
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
