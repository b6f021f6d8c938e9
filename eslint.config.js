// Lint configuration: typescript-eslint's recommended rules over src, test and bench, and over the
// dashboard's browser code in ui/ (plain ES modules, where undefined names are errors).
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    // Generated output (builds, the demo's ./claas-demo, test screenshots, peers' state) is never linted.
    ignores: [
      'dist/**',
      'dist-*/**',
      'node_modules/**',
      '.test-env/**',
      '.bench-work/**',
      '.repl-dist/**',
      'web/dist/**',
      'claas-demo/**',
      'test-output/**',
    ],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: ['ui/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        (
          'window document console fetch AbortController AbortSignal URL URLSearchParams ' +
          'setTimeout clearTimeout setInterval clearInterval'
        )
          .split(' ')
          .map((name) => [name, 'readonly']),
      ),
    },
    rules: { 'no-undef': 'error' },
  },
);
