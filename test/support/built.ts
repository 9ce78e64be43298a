import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/**
 * The JavaScript this test run compiled from a file under src/ (test/support/build-service.cjs, Jest's
 * globalSetup): `builtFile('src/main.ts')` is the entry point, as `node dist/main.js` in production.
 */
export function builtFile(source: string): string {
  const dir = process.env.WXO_TEST_BUILT_SERVICE_DIR;
  if (!dir) throw new Error('src/ was not built for this run: run the suite through Jest and jest.config.js');
  const file = join(dir, 'dist', relative(join(ROOT, 'src'), join(ROOT, source))).replace(/\.ts$/, '.js');
  if (!existsSync(file)) throw new Error(`${source} is not in this run's build (${file})`);
  return file;
}
