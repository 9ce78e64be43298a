// Refreshes docs/screenshots/: runs the browser suite with SCREENSHOT_DIR pointing there, after
// removing the old PNGs so a renamed or dropped screenshot does not linger.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = join(root, 'docs', 'screenshots');

mkdirSync(dir, { recursive: true });
for (const name of readdirSync(dir)) if (name.endsWith('.png')) rmSync(join(dir, name));

const jest = createRequire(import.meta.url).resolve('jest/bin/jest');
const run = spawnSync(process.execPath, [jest, '--selectProjects', 'browser', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, SCREENSHOT_DIR: dir },
});
process.exit(run.status ?? 1);
