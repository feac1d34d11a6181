import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.tmp/', 'test/fixtures/**/*.py', 'ml/kernels/wasm-src/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      'no-console': 'off',
    },
  },
  {
    // Workflow code is bundled into Temporal's deterministic sandbox: no clocks, no randomness, no Node APIs.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval'],
      // Activity modules may be imported for their types only (`import type`): the stubs come from proxyActivities.
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*', 'fs', 'path', 'os', '@tensorflow/*', '../ml/*', '../storage/*'], message: 'workflow code runs in a deterministic sandbox' },
            { group: ['../activities/*'], allowTypeImports: true, message: 'workflows call activities through proxyActivities' },
          ],
        },
      ],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random' }, { object: 'Date', property: 'now' }],
    },
  },
);
