/**
 * Dev loop figure: from saving a .ts file to the service answering with the change, under
 * `npm run start:dev` (nest start --watch, SWC builder) in sandbox mode.
 *
 * Works on a throw-away copy of the project (node_modules linked), so the checkout is never
 * edited. Usage: npm run bench:dev-restart [-- rounds=7]
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { median } from './lib/report';

const ROOT = resolve(__dirname, '..');
const ROUNDS = Number(process.argv[2] ?? 7);
const PORT = 18480;
const SANDBOX_PORT = 18481;
const TARGET = 'src/auth/auth.controller.ts';

/** The line each round adds after it, so the home page says which save it runs. */
const ANCHOR = 'home(@Req() req: Request) {';

function withMarker(source: string, marker: string): string {
  // A save that changes nothing compiles to the same output, which restarts nothing: fail instead.
  if (!source.includes(ANCHOR)) throw new Error(`${TARGET} no longer has "${ANCHOR}": update bench/dev-restart.ts`);
  return source.replace(ANCHOR, `${ANCHOR}\n    req.res?.setHeader('X-Dev-Round', '${marker}');`);
}

/** The home page's X-Dev-Round header ('' before the first save), or undefined while it does not answer. */
async function markerOf(): Promise<string | undefined> {
  try {
    // localhost, as the redirect URI says: on another host name the service first redirects there.
    const res = await fetch(`http://localhost:${PORT}/`, { redirect: 'manual' });
    await res.arrayBuffer();
    return res.headers.get('x-dev-round') ?? '';
  } catch {
    return undefined;
  }
}

async function waitFor(predicate: (marker: string | undefined) => boolean, timeoutMs: number): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    if (predicate(await markerOf())) return performance.now() - started;
    await sleep(10);
  }
  throw new Error('timed out waiting for the service');
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'wxo-devloop-'));
  for (const entry of [
    'src',
    'views',
    'public',
    'package.json',
    'tsconfig.json',
    'tsconfig.build.json',
    'nest-cli.json',
  ]) {
    cpSync(join(ROOT, entry), join(work, entry), { recursive: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(work, 'node_modules'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(PORT),
    SANDBOX_PORT: String(SANDBOX_PORT),
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
  };
  delete env.AUTH_INIT_URL;
  const child = spawn('npx', ['nest', 'start', '--watch', '--builder', 'swc'], {
    cwd: work,
    env,
    stdio: ['pipe', openSync(join(tmpdir(), 'wxo-devloop.log'), 'w'), 'inherit'],
    detached: true,
  });
  const stop = () => {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  process.on('exit', stop);
  try {
    const initial = await waitFor((t) => t !== undefined, 60_000);
    const original = readFileSync(join(work, TARGET), 'utf8');
    const times: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const marker = `round ${round}`;
      await sleep(1500);
      const saved = performance.now();
      writeFileSync(join(work, TARGET), withMarker(original, marker));
      await waitFor((found) => found === marker, 30_000);
      times.push(performance.now() - saved);
    }
    const sorted = [...times].sort((a, b) => a - b).map(Math.round);
    console.log(
      `save → first answer with the change: median ${Math.round(median(times))} ms (${sorted[0]}–${sorted[sorted.length - 1]} ms, n=${ROUNDS}); spawn → first answer ${Math.round(initial)} ms`,
    );
  } finally {
    stop();
    await sleep(500);
    rmSync(work, { recursive: true, force: true });
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
