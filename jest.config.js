/** Jest projects of STYLE.md §7: `unit` beside the code, `conformance` per port, `e2e` through HTTP,
 * `client` for the client package (clients/typescript), `dashboard` for the web dashboard (dashboard/). */
const transform = {
  '^.+\\.ts$': [
    '@swc/jest',
    {
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
        target: 'es2022',
        keepClassNames: true,
      },
      module: { type: 'commonjs' },
      sourceMaps: 'inline',
    },
  ],
};

const project = (displayName, testMatch) => ({
  displayName,
  testMatch: [testMatch],
  transform,
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
});

/** @type {import('jest').Config} */
module.exports = {
  // Two workers on two cores: every suite has its own schema, ports, temp directory and NATS prefix.
  maxWorkers: 2,
  projects: [
    project('unit', '<rootDir>/src/**/*.spec.ts'),
    project('conformance', '<rootDir>/test/conformance/**/*.spec.ts'),
    project('e2e', '<rootDir>/test/e2e/**/*.e2e-spec.ts'),
    // @willow/client against real servers, imported from its build through the workspace link, as users get it.
    project('client', '<rootDir>/test/client/**/*.spec.ts'),
    // The dashboard at /ui in Debian's Chromium against a built server (dist/main.js and dist/ui).
    project('dashboard', '<rootDir>/test/dashboard/**/*.spec.ts'),
  ],
};
