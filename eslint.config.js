import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The layers, and what each may import (besides itself): the table in
 * DESIGN.md ("Layout"), nothing more permissive. Arrows point one way:
 * core <- schemas <- {ml, storage} ; storage <- {lineage, report} <- stages
 * (which joins ml and storage) <- activities <- workers ; cli reads
 * schemas, storage, lineage, report, ml's backend info and the activities'
 * and workflows' types, never stages/ or workers/ (bin/w2s.ts, outside the
 * layers, hands the CLI its worker host). Workflows import schemas (and
 * activity types) only. ml/, storage/ and everything below activities/
 * never import Temporal.
 */
const FOLDERS = ['core', 'schemas', 'ml', 'storage', 'lineage', 'report', 'stages', 'activities', 'workflows', 'workers', 'cli'];
const MAY_IMPORT = {
  core: [],
  schemas: [],
  ml: ['core', 'schemas'],
  storage: ['core', 'schemas'],
  lineage: ['core', 'schemas', 'storage'],
  report: ['core', 'schemas', 'storage'],
  stages: ['core', 'schemas', 'ml', 'storage', 'lineage', 'report'],
  activities: ['core', 'schemas', 'storage', 'stages', 'lineage', 'report'],
  workflows: ['schemas'],
  // ml: its backend choice and GPU detection only (see ONLY_ML_BACKEND).
  workers: ['core', 'schemas', 'storage', 'activities', 'workflows'],
  // ml: backend info only (see ONLY_ML_BACKEND).
  cli: ['core', 'schemas', 'storage', 'lineage', 'report', 'activities', 'workflows'],
};
const NO_TEMPORAL = { regex: '^@temporalio/', message: 'only activities/, workflows/, workers/ and cli/ talk to Temporal; stage logic and libraries stay runnable without it' };

const NO_ONNX = { regex: '^onnxruntime-', message: 'onnxruntime computes tensors: it belongs in ml/ (and stages/, which run models), never in contracts, storage, orchestration or the CLI' };

/** Workers and the CLI read ml/'s backend (which one runs, on what device) and nothing else of it. */
const ONLY_ML_BACKEND = { regex: '^(\\.\\./)+ml/(?!(backend|gpus)\\.js$)', message: 'only ml/backend.ts and ml/gpus.ts (which backend, which device) of ml/ may be imported here' };

/** `partly`: folders the extra patterns restrict in part (workers/ and cli/ -> ml/backend.ts). */
function boundary(folder, extra = [], partly = []) {
  const forbidden = FOLDERS.filter((other) => other !== folder && !MAY_IMPORT[folder].includes(other) && !partly.includes(other));
  const patterns = [...extra];
  if (forbidden.length) {
    patterns.push({ regex: `^(\\.\\./)+(${forbidden.join('|')})(/|$)`, message: `${folder}/ may import only ${MAY_IMPORT[folder].join(', ') || 'nothing of ours'} (layers: see eslint.config.js)` });
  }
  return { files: [`${folder}/**/*.ts`], rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] } };
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'deploy/lambda/dist/', '.tmp/', 'test/fixtures/**/*.py', 'ml/kernels/wasm-src/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      'no-console': 'off',
    },
  },
  boundary('core', [NO_TEMPORAL, NO_ONNX]),
  boundary('schemas', [{ regex: '^(?!zod$|\\.)', message: 'schemas/ are contracts: they import zod only' }]),
  boundary('ml', [NO_TEMPORAL]),
  boundary('storage', [NO_TEMPORAL, NO_ONNX, { regex: '^@tensorflow/', message: 'storage/ holds no tensors: the batch source over shards is stages/shard-source.ts' }]),
  boundary('lineage', [NO_TEMPORAL, NO_ONNX]),
  boundary('report', [NO_TEMPORAL, NO_ONNX]),
  boundary('stages', [NO_TEMPORAL]),
  boundary('activities', [NO_ONNX]),
  boundary('workers', [NO_ONNX, ONLY_ML_BACKEND], ['ml']),
  boundary('cli', [NO_ONNX, ONLY_ML_BACKEND, { regex: '^@tensorflow/', message: 'the CLI computes no tensors' }], ['ml']),
  {
    // Workflow code is bundled into Temporal's deterministic sandbox: no clocks, no randomness, no Node APIs.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval'],
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            // @temporalio/common: the SDK's own sandbox-safe types and helpers (search attribute keys), which @temporalio/workflow builds on.
            { regex: '^(?!@temporalio/(workflow|common)$|\\.)', message: 'workflow code runs in a deterministic sandbox: it imports @temporalio/workflow, @temporalio/common and schemas/ only' },
            { regex: `^(\\.\\./)+(${FOLDERS.filter((f) => !['workflows', 'schemas', 'activities'].includes(f)).join('|')})(/|$)`, message: 'workflows import schemas/ only (and activity types)' },
            // Activity modules may be imported for their types only (`import type`): the stubs come from proxyActivities.
            { regex: '^(\\.\\./)+activities(/|$)', allowTypeImports: true, message: 'workflows call activities through proxyActivities' },
          ],
        },
      ],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random' }, { object: 'Date', property: 'now' }],
    },
  },
);
