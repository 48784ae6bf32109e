import tseslint from 'typescript-eslint';

/** The runtime: what is installed on a Homey. tools/ (emulators, simulator, demo, CLI, bench) is not. */
const RUNTIME = ['app.ts', 'api.ts', 'lib/**/*.ts', 'drivers/**/*.ts', 'flow/**/*.ts'];

export default tseslint.config(
  { ignores: ['.homeybuild/**', 'node_modules/**', 'out/**', 'coverage/**', 'app.json', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  {
    // guard rails of the runtime: small files and functions, and nothing from the workshop
    files: RUNTIME,
    rules: {
      'max-lines': ['error', { max: 500, skipBlankLines: false, skipComments: false }],
      'max-lines-per-function': ['error', { max: 100, skipBlankLines: false, skipComments: false }],
      // timers come from the injected clock (on the Homey: homey.setTimeout, which stop with the app)
      'no-restricted-globals': [
        'error',
        ...['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval'].map((name) => ({
          name,
          message: 'Use the injected Clock (lib/clock.ts) or this.homey timers: they stop with the app.',
        })),
      ],
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/tools/**', '**/tools'], message: 'lib/, drivers/, flow/ and app.ts run on the Homey: they may not import the workshop in tools/.' }] },
      ],
    },
  },
  {
    // the one adapter that may touch the process's timers (tools and tests pass no Homey timers)
    files: ['lib/clock.ts'],
    rules: { 'no-restricted-globals': 'off' },
  },
  {
    files: ['test/**/*.ts', 'tools/**/*.ts'],
    rules: { 'no-console': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
);
