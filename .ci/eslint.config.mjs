import path from 'node:path';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const KEBAB = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/**
 * STYLE.md §4: every folder and file under src/ is kebab-case, and so is each dotted role suffix
 * (`sqlite-willow.store.ts`, `limiter.error-status.spec.ts`). Suffixes are not required: plain domain and kernel
 * files (`domain/dispatch/queue-index.ts`, `common/tags.ts`) have none.
 */
const kebabFileNames = {
  meta: {
    type: 'suggestion',
    schema: [],
    messages: { notKebab: '"{{segment}}" in {{file}} is not kebab-case (lower-case words joined by "-", dotted role suffixes likewise)' },
  },
  create(context) {
    const file = path.relative(root, context.filename).split(path.sep).join('/');
    return {
      Program(node) {
        const [, ...rest] = file.split('/');
        const base = rest.pop().replace(/\.ts$/, '');
        const segments = [...rest, ...base.split('.')];
        const segment = segments.find((s) => !KEBAB.test(s));
        if (segment !== undefined) context.report({ node, messageId: 'notKebab', data: { segment, file } });
      },
    };
  },
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'clients/*/dist/**', 'clients/*/src/generated/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      'no-restricted-syntax': [
        'error',
        { selector: "MemberExpression[object.name='process'][property.name='env']", message: 'Read configuration through parseConfig (src/config.ts).' },
      ],
    },
  },
  { files: ['src/config.ts', 'src/main.ts', 'test/**/*.ts'], rules: { 'no-restricted-syntax': 'off' } },
  // The client package is not the server: its CLI reads WILLOW_URL and WILLOW_API_KEY itself.
  { files: ['clients/**/*.ts'], rules: { 'no-restricted-syntax': 'off' } },
  {
    files: ['clients/**/*.mjs', 'clients/**/*.cjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', require: 'readonly', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { willow: { rules: { 'kebab-file-names': kebabFileNames } } },
    rules: {
      'willow/kebab-file-names': 'error',
    },
  },
  {
    // STYLE.md §8 aims at ~200 lines; a warning leaves room for the few files that are longer for a reason. Tests
    // are lists of cases and are left out.
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.spec.ts'],
    rules: { 'max-lines': ['warn', { max: 250, skipBlankLines: true, skipComments: true }] },
  },
  {
    files: ['test/bench/**/*.cjs', 'scripts/**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', Buffer: 'readonly', fetch: 'readonly', URL: 'readonly', setImmediate: 'readonly', setInterval: 'readonly', clearInterval: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
