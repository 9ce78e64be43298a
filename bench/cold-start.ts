/**
 * Cold start of the production command against an empty Nest app: spawn → first 200 on `GET /` of
 * `npm run start:prod`'s Node command for the service (production, against the emulator, as
 * `npm run bench` starts it) and for bench/empty-app (one controller on @nestjs/platform-express,
 * built by `nest build` with the service's builder settings and started with the same flags).
 *
 *   npm run bench:cold-start                  # builds both, 7 starts each, alternating
 *   npm run bench:cold-start -- --runs 11 --no-build --modules
 *
 * Both turn Node's module compile cache on (src/compile-cache.ts), in a fresh folder for the run;
 * each one's first start fills it and is not counted. The service is pinned to one core and the
 * emulator to the other, as in `npm run bench`. `--modules` then starts each once more with
 * bench/module-count.cjs preloaded (not timed) and says how many modules it loaded before it answered.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Children, freePort, waitForOutput, waitForStatus } from './lib/processes';
import { median } from './lib/report';
import { emulatorCommand, productionNodeFlags, serviceEnv } from './lib/service';

const ROOT = join(__dirname, '..');
const SERVICE_CPU = '0';
const EMULATOR_CPU = '1';
const EMPTY_APP_CONFIG = 'bench/empty-app/nest-cli.json';
const EMPTY_APP_MAIN = 'bench/out/empty-app/main.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '7' },
    build: { type: 'boolean', default: true },
    modules: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
  allowNegative: true,
});
if (values.help) {
  process.stdout.write('usage: npm run bench:cold-start -- [--runs 7] [--no-build] [--modules]\n');
  process.exit(0);
}
const runs = Number(values.runs);

/** "Built the same way": the empty app's builder settings must be the service's. */
function checkSameBuilder(): void {
  const builderOf = (file: string) => {
    const { compilerOptions = {} } = JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as {
      compilerOptions?: { builder?: string | { type: string }; typeCheck?: boolean; bundleDependencies?: unknown };
    };
    const { builder = 'tsc', typeCheck, bundleDependencies } = compilerOptions;
    return JSON.stringify([typeof builder === 'string' ? builder : builder.type, typeCheck, bundleDependencies]);
  };
  if (builderOf('nest-cli.json') !== builderOf(EMPTY_APP_CONFIG)) {
    throw new Error(`${EMPTY_APP_CONFIG} builds differently from nest-cli.json: give it the same builder options`);
  }
}

async function main(): Promise<void> {
  checkSameBuilder();
  if (values.build) {
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
    execFileSync('npx', ['nest', 'build', '--config', EMPTY_APP_CONFIG], { cwd: ROOT, stdio: 'inherit' });
  }
  const children = new Children(join(ROOT, 'bench', 'out', 'cold-start'));
  const secret = randomBytes(16).toString('hex');
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const emulator = emulatorCommand({ port: await freePort(), secret, serviceOrigin: origin });
  const emulatorChild = children.spawn('emulator', process.execPath, emulator.args, {
    cwd: ROOT,
    cpus: EMULATOR_CPU,
    env: { NODE_ENV: 'production' },
  });
  const emulatorOrigin = (await waitForOutput(emulatorChild, emulator.ready))[1];
  const flags = productionNodeFlags();
  const targets = [
    {
      name: 'service',
      main: 'dist/main.js',
      env: serviceEnv({
        emulatorOrigin,
        serviceOrigin: origin,
        secret,
        sessionSecret: randomBytes(32).toString('hex'),
      }),
    },
    {
      name: 'empty Nest app',
      main: EMPTY_APP_MAIN,
      env: { NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1' },
    },
  ];
  const cache = mkdtempSync(join(tmpdir(), 'compile-cache-'));

  const start = async (target: (typeof targets)[number], preload: string[] = [], extraEnv = {}): Promise<number> => {
    const since = performance.now();
    const child = children.spawn(target.name, process.execPath, [...flags, ...preload, target.main], {
      cwd: ROOT,
      cpus: SERVICE_CPU,
      env: { ...target.env, NODE_COMPILE_CACHE: cache, ...extraEnv },
    });
    const ms = await waitForStatus(`${origin}/`, child, { since, intervalMs: 5 });
    await children.stop(child);
    return ms;
  };

  try {
    for (const target of targets) await start(target); // fills the compile cache
    const samples = new Map(targets.map((target) => [target.name, [] as number[]]));
    // Alternating, so that the machine's drift falls on both.
    for (let i = 0; i < runs; i++) for (const target of targets) samples.get(target.name)?.push(await start(target));

    const ms = (value: number) => `${Math.round(value)} ms`;
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
    console.log(`cold start, spawn → first 200 on GET /, node ${flags.join(' ')} …, n=${runs}; 1-minute load ${load}`);
    for (const [name, values] of samples) {
      const sorted = [...values].sort((a, b) => a - b);
      console.log(`${name}: median ${ms(median(values))} (${ms(sorted[0])}–${ms(sorted[sorted.length - 1])})`);
    }
    const [service, empty] = targets.map((target) => median(samples.get(target.name) ?? []));
    console.log(`service / empty Nest app: ${(service / empty).toFixed(2)}×`);

    if (values.modules) {
      for (const target of targets) {
        const file = join(cache, 'modules.json');
        await start(target, ['-r', './bench/module-count.cjs'], { BENCH_MODULE_COUNT_FILE: file });
        const count = JSON.parse(readFileSync(file, 'utf8')) as { total: number; byOwner: [string, number][] };
        const top = count.byOwner.slice(0, 12).map(([owner, n]) => `${owner} ${n}`);
        console.log(`${target.name}: ${count.total} modules loaded before the first answer (${top.join(', ')}, …)`);
      }
    }
  } finally {
    await children.stopAll();
    rmSync(cache, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:cold-start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
