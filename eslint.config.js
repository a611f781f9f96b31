// Lint runs inside the test command (scripts/test.sh). Type-aware rules catch the
// bugs that matter most in this codebase: floating promises and unsafe `any`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The layers of src/ (CONTRIBUTING.md draws them): each folder may import only
// the folders listed for it. runtime/ is the kernel and imports nothing but
// util/; the job root (job/) composes the modules; cli/ sits on top.
const MODULES = ['util', 'runtime', 'store', 'telemetry'];
const LAYERS = {
  util: [],
  runtime: ['util'],
  store: ['util', 'runtime'],
  telemetry: ['util', 'runtime'],
  checkpoint: MODULES,
  idempotency: MODULES,
  sharding: MODULES,
  exclusive: MODULES,
  job: [...MODULES, 'checkpoint', 'idempotency', 'sharding', 'exclusive'],
  local: ['util', 'runtime'],
  cli: [...MODULES, 'checkpoint', 'idempotency', 'sharding', 'exclusive', 'job', 'local'],
};
const layerRules = Object.entries(LAYERS).map(([folder, allowed]) => ({
  files: [`src/${folder}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          ...Object.keys(LAYERS)
            .filter((other) => other !== folder && !allowed.includes(other))
            .map((other) => ({
              group: [`../${other}`, `../${other}/*`],
              message: `src/${folder}/ may import only ${allowed.length === 0 ? 'nothing else in src/' : allowed.map((a) => `src/${a}/`).join(', ')} (layers in CONTRIBUTING.md).`,
            })),
          { group: ['../index.ts', '../index.js'], message: 'src/index.ts is the package entry: import the module itself.' },
        ],
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.tools/', 'coverage/', 'bench/results/', '.jobkit/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
      // A new member of a union (a chaos kind, a platform, a store scheme) must be handled everywhere it is switched on.
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
    },
  },
  ...layerRules,
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
