// @ts-check
/**
 * Our TypeScript goes through ts-jest (type-checking is `npm run typecheck`'s job). Nest 12's
 * packages are ES modules that use `import.meta.url`, which ts-jest cannot compile to CommonJS, so
 * their JavaScript (and that of the other ES-module-only packages the app loads) goes through SWC,
 * which can. This works the same on Node 22 and 24 with no experimental flag.
 */
const esModulePackages = ['@nestjs', '@apidevtools', 'jose'];

/** @type {import('jest').Config} */
const base = {
  moduleFileExtensions: ['js', 'json', 'ts'],
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': 'ts-jest',
    '^.+\\.m?js$': ['@swc/jest', { module: { type: 'commonjs' }, jsc: { target: 'es2023' } }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esModulePackages.join('|')})/)`],
};

/** Compiles src/ once for the suites that start the service or the emulator's CLI as a process. */
const buildService = require.resolve('./test/support/build-service.cjs');

/** @type {import('jest').Config} */
module.exports = {
  // A worker that has run many files holds ~1 GB, mostly garbage V8 has not collected yet, and on a
  // busy machine the process takes longer than the 500 ms Jest waits to free that when it exits,
  // with no handle open ("A worker process has failed to exit gracefully"). A worker whose heap is
  // over this limit after a file is replaced by a fresh one.
  workerIdleMemoryLimit: '384MB',
  projects: [
    { ...base, displayName: 'unit', rootDir: 'src', testRegex: '.*\\.spec\\.ts$', globalSetup: buildService },
    { ...base, displayName: 'e2e', rootDir: 'test', testRegex: '.*\\.e2e-spec\\.ts$', globalSetup: buildService },
    { ...base, displayName: 'browser', rootDir: 'test/browser', testRegex: '\\.browser-spec\\.ts$' },
  ],
};
