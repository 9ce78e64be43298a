// @ts-check
/**
 * Jest's globalSetup for the unit and e2e projects: compiles src/ with SWC, with the options
 * `nest start --builder swc` uses (@nestjs/cli's SWC defaults, CommonJS), once per test run (~0.1 s).
 * The suites that start the service or the emulator's CLI as a process of its own run that
 * JavaScript (builtFile() in test/support/built.ts), as `node dist/main.js` runs in production:
 * ~0.7 s of CPU a start, where ts-node spent ~2.3 s compiling the same files again in every process.
 * Never the project's dist/, which may be stale.
 *
 * The folder, node_modules/.cache/test-build/, stays between runs, so Node's compile cache
 * (src/compile-cache.ts) finds its files at the same paths each time. Each file is replaced whole
 * (rename), so a run going on at the same time never reads half a file. views/ and public/ are
 * links to the project's: the app finds them one level above its own files (ROOT_DIR in src/app.setup.ts).
 */
const { transformFileSync } = require('@swc/core');
const fs = require('node:fs');
const { dirname, join, relative } = require('node:path');

const ROOT = join(__dirname, '..', '..');
const SRC = join(ROOT, 'src');
const OUT = join(ROOT, 'node_modules', '.cache', 'test-build');
/** Set for the suites (Jest starts its workers after this, with its environment): this run built OUT. */
const BUILT_SERVICE_DIR = 'WXO_TEST_BUILT_SERVICE_DIR';

/** @type {import('@swc/core').Options} */
const SWC_OPTIONS = {
  swcrc: false,
  module: { type: 'commonjs' },
  jsc: {
    target: 'es2021',
    parser: { syntax: 'typescript', decorators: true, dynamicImport: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    keepClassNames: true,
  },
};

/** @param {string} dir @param {(path: string) => boolean} wanted @returns {Generator<string>} */
function* filesUnder(dir, wanted) {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* filesUnder(path, wanted);
    else if (wanted(path)) yield path;
  }
}

/** @param {string} file @param {string} text */
function replaceFile(file, text) {
  if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === text) return;
  fs.mkdirSync(dirname(file), { recursive: true });
  const next = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(next, text);
  fs.renameSync(next, file);
}

/**
 * Makes `link` point at `target`, unless it does already: a node_modules copied from another
 * checkout (cp -al) brings links to that checkout's folders.
 * @param {string} target @param {string} link
 */
function linkTo(target, link) {
  try {
    if (fs.realpathSync(link) === fs.realpathSync(target)) return;
  } catch {
    // No link yet, or one to a folder that is gone.
  }
  fs.rmSync(link, { force: true });
  try {
    // 'junction': a link Windows makes without extra rights; other systems ignore the word.
    fs.symlinkSync(target, link, 'junction');
  } catch (error) {
    // A run going on at the same time made it a moment ago.
    if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'EEXIST') throw error;
  }
}

module.exports = function buildService() {
  const built = new Set();
  for (const source of filesUnder(SRC, (path) => /\.ts$/.test(path) && !/\.(spec|d)\.ts$/.test(path))) {
    const target = join(OUT, 'dist', relative(SRC, source)).replace(/\.ts$/, '.js');
    replaceFile(target, transformFileSync(source, SWC_OPTIONS).code);
    built.add(target);
  }
  // What a deleted or renamed source left behind.
  for (const stale of filesUnder(join(OUT, 'dist'), (path) => path.endsWith('.js') && !built.has(path))) {
    fs.rmSync(stale, { force: true });
  }
  for (const name of ['views', 'public']) linkTo(join(ROOT, name), join(OUT, name));
  process.env[BUILT_SERVICE_DIR] = OUT;
};
