// ESLint: the TypeScript rules that the compiler leaves out, React hooks rules, and the one-way imports of
// docs/frontend.md — app/ composes features; features, components, api and events never import app/, and
// a feature never reaches into another feature's files.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

const neverApp = {
  group: ['**/app', '**/app/*', '../app/*', '../../app/*', '../../../app/*'],
  message: 'only app/ composes pages: move what you need into components/, api/ or events/',
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'src/api/generated/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['src/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/features/**/*.{ts,tsx}', 'src/components/**/*.{ts,tsx}', 'src/api/**/*.{ts,tsx}',
            'src/events/**/*.{ts,tsx}'],
    rules: { 'no-restricted-imports': ['error', { patterns: [neverApp] }] },
  },
  {
    files: ['src/components/**/*.{ts,tsx}', 'src/api/**/*.{ts,tsx}', 'src/events/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [neverApp, { group: ['**/features/*'], message: 'shared code never imports a feature' }],
      }],
    },
  },
);
