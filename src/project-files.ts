import { createRequire } from 'node:module';
import { join } from 'node:path';

/**
 * The project root: views/, public/ and node_modules/ sit beside src/ and dist/. This file is
 * directly in src/, and the production build bundles it into dist/main.js: one level up either way.
 */
export const ROOT_DIR = join(__dirname, '..');

/**
 * The path of a file in an installed package that the service serves from disk (Water.css,
 * Swagger UI), resolved by Node from the project when the service starts: in the production
 * bundle, `require.resolve()` gives the id of a bundled module instead of a path.
 */
export function packageFile(request: string): string {
  return createRequire(join(ROOT_DIR, 'package.json')).resolve(request);
}
