/**
 * Two builds of this service compared in one interleaved run: is a change faster or slower?
 *
 *   npm run build && (cd ../other-checkout && npm run build)
 *   npm run bench:ab -- --a ../other-checkout [--b .] [--rounds 8] [--seconds 4] [--pages home,listrooms-20]
 *
 * `npm run bench` measures one build at a time, three 10 s runs a figure; on a shared machine whose
 * speed drifts by tens of percent within minutes (seen here), two such runs minutes apart can
 * disagree by more than the change being judged. Here both builds run side by side, each with its
 * own emulator, and the load alternates between them in short slices (A B, then B A, …), so drift
 * falls on both alike. Each slice's figure is the service's CPU time per request (from
 * /proc/PID/stat, the same core for both); the report gives each build's median and the median of
 * the per-round ratios B / A, with their range. Pages: the signed-out home, /listrooms signed in
 * with 0 and 20 ms of Webex latency (50 connections), and whole sign-in flows (32 browsers; CPU per
 * flow), as `npm run bench` loads them. `--emulator b` makes both call emulators built from B, so
 * a difference in the emulators cannot show as one in latency.
 *
 * Each checkout needs its own `dist/` (and node_modules, or a link to one). Both are started as
 * `npm run bench` starts the service (NODE_ENV=production, memory sessions, no sign-in limit,
 * default log level) against an emulator from their own `dist/sandbox/cli.js`.
 */
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { HZ, processTicks } from './lib/cpu';
import { CountingAgent, requestJson } from './lib/http';
import { cannon, problemsOf } from './lib/load';
import { Children, freePort, pinSelf, waitForOutput, waitForStatus, type Child } from './lib/processes';
import { median } from './lib/report';
import { emulatorCommand, serviceEnv, USER } from './lib/service';
import { SignInClient } from './lib/signin';

const SERVICE_CPU = '0';
const LOADGEN_CPU = '1';
const CONNECTIONS = 50;

const { values } = parseArgs({
  options: {
    a: { type: 'string' },
    b: { type: 'string', default: '.' },
    rounds: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '4' },
    /** Only these pages: home, listrooms-0, listrooms-20 (comma-separated). */
    pages: { type: 'string', default: 'home,listrooms-0,listrooms-20,signin' },
    /** Whose emulator both builds call: each its own (default), or B's for both (same Webex for both). */
    emulator: { type: 'string', default: 'own' },
  },
});
if (!values.a) throw new Error('usage: bench/ab.ts --a OTHER_CHECKOUT [--b .] [--rounds 8] [--seconds 4]');

interface Build {
  label: 'A' | 'B';
  root: string;
  emulator: string;
  origin: string;
  service: Child;
  cookie: string;
}

interface Page {
  key: string;
  name: string;
  path: string;
  latencyMs: number;
  signedIn: boolean;
}

const PAGES: Page[] = [
  { key: 'home', name: 'signed-out home', path: '/', latencyMs: 0, signedIn: false },
  { key: 'listrooms-0', name: '/listrooms, 0 ms', path: '/listrooms', latencyMs: 0, signedIn: true },
  { key: 'listrooms-20', name: '/listrooms, 20 ms', path: '/listrooms', latencyMs: 20, signedIn: true },
  // Whole sign-in flows (login, Webex's consent, callback, home), 32 browsers at a time, as `npm run bench`.
  { key: 'signin', name: 'sign-in flow', path: '/login', latencyMs: 0, signedIn: false },
];
const SIGN_IN_BROWSERS = 32;

/** CPU seconds the process has used (user + system). */
function cpuSeconds(pid: number): number {
  const ticks = processTicks(pid);
  if (ticks === undefined) throw new Error(`process ${pid} is gone`);
  return ticks / HZ;
}

async function start(children: Children, label: 'A' | 'B', root: string, emulatorRoot = root): Promise<Build> {
  const secret = randomBytes(24).toString('base64url');
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const command = emulatorCommand({ port: 0, secret, serviceOrigin: origin });
  const emulatorChild = children.spawn(`ab-emulator-${label}`, process.execPath, command.args, {
    cwd: emulatorRoot,
    cpus: LOADGEN_CPU,
    env: { NODE_ENV: 'production' },
  });
  const emulator = (await waitForOutput(emulatorChild, command.ready))[1];
  const since = performance.now();
  const service = children.spawn(`ab-service-${label}`, process.execPath, ['dist/main.js'], {
    cwd: root,
    cpus: SERVICE_CPU,
    env: serviceEnv({
      emulatorOrigin: emulator,
      serviceOrigin: origin,
      secret,
      sessionSecret: randomBytes(48).toString('base64url'),
    }),
  });
  await waitForStatus(`${origin}/`, service, { since, intervalMs: 20 });
  const client = new SignInClient(origin, `${emulator}/v1/authorize`, USER.displayName);
  const cookie = await client.signIn();
  client.close();
  return { label, root, emulator, origin, service, cookie };
}

/** One slice of load on one build: its CPU per request (per flow for sign-in) and the p99 latency. */
async function slice(
  build: Build,
  page: Page,
  seconds: number,
): Promise<{ cpuUs: number; p50Ms: number; p99Ms: number }> {
  const before = cpuSeconds(build.service.pid);
  if (page.key === 'signin') {
    const client = new SignInClient(build.origin, `${build.emulator}/v1/authorize`, USER.displayName);
    const flows = await client.run(SIGN_IN_BROWSERS, { durationMs: seconds * 1000 });
    client.close();
    const used = cpuSeconds(build.service.pid) - before;
    if (flows.errors > 0) throw new Error(`${build.label} sign-in: ${flows.errors} failed flows (${flows.firstError})`);
    return { cpuUs: (used / flows.flows) * 1e6, p50Ms: flows.p50Ms, p99Ms: flows.p99Ms };
  }
  const result = await cannon({
    url: `${build.origin}${page.path}`,
    connections: CONNECTIONS,
    durationS: seconds,
    headers: page.signedIn ? { cookie: build.cookie } : undefined,
  });
  const used = cpuSeconds(build.service.pid) - before;
  const problems = problemsOf(result);
  if (problems) throw new Error(`${build.label} ${page.name}: ${problems}`);
  return { cpuUs: (used / result.total) * 1e6, p50Ms: result.p50Ms, p99Ms: result.p99Ms };
}

async function main(): Promise<void> {
  pinSelf(LOADGEN_CPU);
  const rounds = Number(values.rounds);
  const seconds = Number(values.seconds);
  const children = new Children(join(__dirname, 'out', 'logs'));
  const control = new CountingAgent();
  try {
    const builds = [
      await start(children, 'A', resolve(values.a as string), values.emulator === 'b' ? resolve(values.b) : undefined),
      await start(children, 'B', resolve(values.b)),
    ];
    process.stdout.write(`A: ${builds[0].root}\nB: ${builds[1].root}\n`);
    const wanted = new Set(values.pages.split(','));
    for (const page of PAGES.filter(({ key }) => wanted.has(key))) {
      for (const build of builds) {
        await requestJson(
          `${build.emulator}/_emulator/latency`,
          'POST',
          { ms: page.latencyMs, route: 'rooms' },
          control,
        );
        await slice(build, page, 2); // warm-up
      }
      const cpu: Record<'A' | 'B', number[]> = { A: [], B: [] };
      const p50: Record<'A' | 'B', number[]> = { A: [], B: [] };
      const p99: Record<'A' | 'B', number[]> = { A: [], B: [] };
      const ratios: number[] = [];
      type Stats = { connections: number; requests: { rooms: number } };
      const stats = (build: Build) =>
        requestJson<Stats>(`${build.emulator}/_emulator/stats`, 'GET', undefined, control);
      const statsBefore = await Promise.all(builds.map(stats));
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? builds : [...builds].reverse();
        const got: Partial<Record<'A' | 'B', number>> = {};
        for (const build of order) {
          const { cpuUs, p50Ms, p99Ms } = await slice(build, page, seconds);
          cpu[build.label].push(cpuUs);
          p50[build.label].push(p50Ms);
          p99[build.label].push(p99Ms);
          got[build.label] = cpuUs;
        }
        ratios.push((got.B as number) / (got.A as number));
      }
      // New connections to Webex while the page was loaded (the bench's own control requests keep one alive).
      const statsAfter = await Promise.all(builds.map(stats));
      const churn = builds.map((build, i) => {
        const calls = statsAfter[i].requests.rooms - statsBefore[i].requests.rooms;
        const opened = statsAfter[i].connections - statsBefore[i].connections;
        return calls > 0 ? `${build.label} ${opened} new connections for ${calls} /rooms calls` : '';
      });
      const pct = (r: number) => `${r >= 1 ? '+' : ''}${((r - 1) * 100).toFixed(1)} %`;
      process.stdout.write(
        `${page.name}: A ${Math.round(median(cpu.A))} µs, B ${Math.round(median(cpu.B))} µs CPU/request; ` +
          `B vs A ${pct(median(ratios))} (rounds ${pct(Math.min(...ratios))} … ${pct(Math.max(...ratios))}); ` +
          `p50 A ${median(p50.A)} ms, B ${median(p50.B)} ms; p99 A ${median(p99.A)} ms, B ${median(p99.B)} ms` +
          `${churn[0] ? `; ${churn.join(', ')}` : ''}\n`,
      );
    }
  } finally {
    control.destroy();
    await children.stopAll();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench/ab: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
