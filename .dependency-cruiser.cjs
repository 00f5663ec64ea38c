/** Module boundaries of DESIGN.md §1 and STYLE.md §0, checked in CI. */
const MODULES = '(willow|limiter|locker|auth)';
module.exports = {
  forbidden: [
    {
      name: 'module-public-face-only',
      comment: 'A module reaches another only through its index.ts (the port and the module class).',
      severity: 'error',
      from: { path: `^src/${MODULES}/` },
      to: { path: `^src/${MODULES}/`, pathNot: [`^src/$1/`, `^src/${MODULES}/index\\.ts$`] },
    },
    {
      name: 'pure-domain',
      comment: 'Domain code and the shared kernel are plain TypeScript: no Nest, no platform, no storage driver.',
      severity: 'error',
      from: { path: [`^src/${MODULES}/domain/`, '^src/common/'] },
      to: {
        path: [
          '^src/platform/',
          // npm packages are matched by their resolved path; type-only imports count too (pg resolves to pg/esm).
          '(^|/)node_modules/@nestjs/',
          '(^|/)node_modules/(@types/)?(class-validator|better-sqlite3|pg)/',
          `^src/${MODULES}/(?!domain/|[a-z-]+\\.port\\.ts$)`,
        ],
      },
    },
    {
      name: 'kernel-stands-alone',
      comment: 'src/common imports nothing of the application.',
      severity: 'error',
      from: { path: '^src/common/' },
      to: { path: ['^src/(?!common/)'] },
    },
    {
      name: 'platform-never-imports-a-module',
      comment: 'Only app.module.ts composes modules; the platform is shared glue.',
      severity: 'error',
      from: { path: '^src/platform/' },
      to: { path: `^src/${MODULES}/` },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-test-code-in-src',
      severity: 'error',
      from: { path: '^src/', pathNot: '\\.spec\\.ts$' },
      to: { path: '^test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.spec\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
