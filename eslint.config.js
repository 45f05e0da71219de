// Lint for the whole repo: type-aware TypeScript rules, React hooks for the renderer, and the
// import-boundary rules that turn PRODUCT.md's runtime rules ("the path tells the runtime") into errors.
// Formatting is Prettier's job, so no stylistic rules are enabled here.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

// Node built-ins by the `node:` scheme and by bare name (`fs`, `fs/promises`), matched exactly so that
// a local './events' module is not mistaken for the built-in.
const bareBuiltins = builtinModules.filter((m) => !m.startsWith('_')).map((m) => m.replace(/[/.]/g, '\\$&'));
const nodeBuiltinRegex = `^(node:.*|(${bareBuiltins.join('|')})(/.*)?)$`;

/** A no-restricted-imports option set; `paths` and `patterns` are the shared building blocks. */
const noNode = {
  regex: nodeBuiltinRegex,
  message: 'This code runs outside Node (PRODUCT.md, Parts): no Node built-ins here.',
};
const noElectron = {
  group: ['electron', 'electron/*'],
  message: 'Only main/ and preload/ import electron (PRODUCT.md, Parts).',
};
const noPrivilegedFolders = {
  regex: String.raw`^(\.\./)+(core|relay|cli|main|preload|harness)(/|$)`,
  message:
    'The renderer talks to the engine only through window.wisp; it never imports core/, relay/, cli/ or main/.',
};
const commonNoOutward = {
  regex: String.raw`^(\.\./)+(core|relay|cli|main|preload|harness|renderer)(/|$)`,
  message: 'common/ is the pure bottom layer: it imports nothing from the other parts.',
};

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'out/**',
      'dist/**',
      'dist-web/**',
      'coverage/**',
      'test-results/**',
      'playwright-report/**',
      '.tmp/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      parserOptions: {
        project: ['./tsconfig.node.json', './tsconfig.web.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
      // Interface implementations are often async without awaiting; that is not a bug.
      '@typescript-eslint/require-await': 'off',
      // React event handlers may be async; a promise returned to an attribute is fine.
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-console': 'off',
    },
  },
  // Plain JS files (this config, bin/ shims) are outside both tsconfigs: lint them untyped.
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: globals.node },
  },
  // Node-side code.
  {
    files: [
      'core/**',
      'relay/**',
      'cli/**',
      'harness/**',
      'bench/**',
      'main/**',
      'preload/**',
      '*.config.ts',
    ],
    languageOptions: { globals: globals.node },
  },
  // Boundaries (STYLE.md item 1). Later blocks for the same file replace the rule, so each folder
  // states its whole list.
  {
    files: ['core/**', 'relay/**', 'cli/**', 'harness/**', 'bench/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noElectron] }] },
  },
  {
    files: ['common/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noNode, noElectron, commonNoOutward] }] },
  },
  {
    files: ['renderer/**', 'tests/renderer/**'],
    languageOptions: { globals: globals.browser },
    rules: { 'no-restricted-imports': ['error', { patterns: [noNode, noElectron, noPrivilegedFolders] }] },
  },
  {
    files: ['renderer/**/*.tsx', 'renderer/**/*.ts', 'tests/renderer/**'],
    ...reactHooks.configs.flat.recommended,
  },
  // Tests: assertions on loosely typed values (expect.any, JSON from a subprocess) are normal there.
  {
    files: ['tests/**', 'bench/**'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
