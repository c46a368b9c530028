// ESLint: typescript-eslint's strict and stylistic type-checked rules over src/, test/ and scripts/
// (`npm run lint` runs it, then `prettier --check`). Each rule relaxed here says why beside it.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['node_modules/', 'data/', '.tmp/', 'views/'] },
  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Numbers and booleans print as expected in a message; objects, nullish and unknown values still need a decision.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // `(x) => doSomething(x)` returning void is the house's callback idiom; a void value used anywhere else still fails.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // `const { secret: _secret, ...view } = row` is how the code drops a field; an underscore marks what is unused on purpose.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { ignoreRestSiblings: true, argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
      // `async` without `await` is how a function here keeps its promise contract (oidc-provider hooks,
      // Koa handlers, exported store functions) and turns a throw into a rejection; removing it changes that.
      '@typescript-eslint/require-await': 'off',
      // `[...text]` splits into code points on purpose (length limits count code points); spreading a
      // promise, a function or a class instance is still caught.
      '@typescript-eslint/no-misused-spread': ['error', { allow: ['string'] }],
      // Rejecting with a caught `unknown` passes it on as it came, as `throw error` would.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // A no-op arrow (`.catch(() => {})`, a silent printer) is a deliberate "nothing to do", commented where it stands.
      '@typescript-eslint/no-empty-function': ['error', { allow: ['arrowFunctions'] }],
      // The input checks match control characters on purpose (they refuse them); the rule flags exactly those expressions.
      'no-control-regex': 'off',
      // With `noUncheckedIndexedAccess`, `match[1]` after a matched required group, `split(',')[0]` and a
      // row after INSERT … RETURNING are typed `T | undefined` although the language or the query
      // guarantees them; `!` states that locally. A throwing helper would add branches that can never run.
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['test/**'],
    rules: {
      // Tests read JSON answers (`any` from `response.json()`) and assert on them: the assertion is the
      // check, and a wrong shape fails the test. Typing every body would only restate the assertions.
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      // In an assertion's message, a JSON value, `undefined` (what is missing) and a URL print as meant.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        {
          allowNumber: true,
          allowBoolean: true,
          allowAny: true,
          allowNullish: true,
          allow: [{ from: 'package', name: ['URL', 'URLSearchParams'], package: 'url' }],
        },
      ],
      // `t.throws` answers undefined when its assertion fails (its type says otherwise): `error?.message`
      // lets the test report that failure rather than a TypeError; JSON.stringify of undefined is undefined.
      '@typescript-eslint/no-unnecessary-condition': 'off',
      // Fixtures hand out closures (`const { adapter, expire } = await open(...)`), never class methods.
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { module: 'writable', require: 'readonly' } },
  },
);
