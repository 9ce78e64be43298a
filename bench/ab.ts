/**
 * `npm run bench:ab`: two builds of this service compared in one interleaved run.
 *
 *   npm run build && (cd ../other-checkout && npm run build)
 *   npm run bench:ab -- --a ../other-checkout [--b .] [--rounds 8] [--seconds 4] [--pages home,listrooms-20]
 *
 * Both builds run side by side, each with its own emulator (`--emulator b`: both call B's), and
 * the load alternates between them in short slices (A B, then B A, …), so the machine's drift falls
 * on both alike. Each round starts a fresh service of each build and warms both alike (`--warmup`,
 * 6 s) before its slices: two processes of one build kept for a whole run differ in their tail.
 *
 * Per page and build: the service's CPU time per request (per flow for sign-in) from /proc, p50 and
 * p99; the median of the per-round ratios B / A with their range; and the p99 of every response of
 * the run with a 90 % interval from resampling rounds. Pages as `npm run bench` loads them: the
 * signed-out home, /listrooms signed in with 0 and 20 ms of Webex latency (50 connections), whole
 * sign-in flows (32 browsers). Each checkout needs its own `dist/` and node_modules; both run as
 * `npm run bench` runs the service (NODE_ENV=production, memory sessions, no sign-in limit).
 */
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { HZ, processTicks } from './lib/cpu';
import { CountingAgent, requestJson } from './lib/http';
import { cannon, problemsOf } from './lib/load';
import { Children, freePort, pinSelf, waitForOutput, waitForStatus, type Child } from './lib/processes';
import { median, quantile } from './lib/report';
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
    /** Only these pages (comma-separated). */
    pages: { type: 'string', default: 'home,listrooms-0,listrooms-20,signin' },
    /** Whose emulator both builds call: each its own (default), or B's for both (same Webex for both). */
    emulator: { type: 'string', default: 'own' },
    /** Seconds of unmeasured load on each fresh service before its first slice (JIT warm-up). */
    warmup: { type: 'string', default: '6' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help || !values.a) {
  process.stdout.write(
    'usage: npm run bench:ab -- --a OTHER_CHECKOUT [--b .] [--rounds 8] [--seconds 4] [--warmup 6] ' +
      '[--pages home,listrooms-0,listrooms-20,signin] [--emulator own|b]\n',
  );
  process.exit(values.help ? 0 : 2);
}

type Label = 'A' | 'B';

/** One side of the comparison: a checkout, and the emulator its services call. */
interface Build {
  label: Label;
  root: string;
  emulator: string;
  secret: string;
  /** The port every service of this build listens on: the emulator's consent goes back to it. */
  port: number;
}

/** A running service of a build, and its session cookie when it was signed in. */
interface Service {
  build: Build;
  origin: string;
  child: Child;
  cookie?: string;
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

async function startEmulator(children: Children, label: Label, root: string, emulatorRoot = root): Promise<Build> {
  const secret = randomBytes(24).toString('base64url');
  const port = await freePort();
  const command = emulatorCommand({ port: 0, secret, serviceOrigin: `http://127.0.0.1:${port}` });
  const child = children.spawn(`ab-emulator-${label}`, process.execPath, command.args, {
    cwd: emulatorRoot,
    cpus: LOADGEN_CPU,
    env: { NODE_ENV: 'production' },
  });
  const emulator = (await waitForOutput(child, command.ready))[1];
  return { label, root, emulator, secret, port };
}

async function startService(children: Children, build: Build, signIn: boolean): Promise<Service> {
  const origin = `http://127.0.0.1:${build.port}`;
  const since = performance.now();
  const child = children.spawn(`ab-service-${build.label}`, process.execPath, ['dist/main.js'], {
    cwd: build.root,
    cpus: SERVICE_CPU,
    env: serviceEnv({
      emulatorOrigin: build.emulator,
      serviceOrigin: origin,
      secret: build.secret,
      sessionSecret: randomBytes(48).toString('base64url'),
    }),
  });
  await waitForStatus(`${origin}/`, child, { since, intervalMs: 20 });
  if (!signIn) return { build, origin, child };
  const client = new SignInClient(origin, `${build.emulator}/v1/authorize`, USER.displayName);
  const cookie = await client.signIn();
  client.close();
  return { build, origin, child, cookie };
}

interface SliceResult {
  cpuUs: number;
  p50Ms: number;
  p99Ms: number;
  /** /rooms calls the emulator answered, and connections it accepted, during the slice. */
  calls: number;
  opened: number;
}

type EmulatorStats = { connections: number; requests: { rooms: number } };

/** One slice of load on one service: its CPU per request (per flow for sign-in) and its latency. */
async function slice(
  service: Service,
  page: Page,
  seconds: number,
  control: CountingAgent,
  latencies: number[] = [],
): Promise<SliceResult> {
  const { build, child, origin } = service;
  const stats = () => requestJson<EmulatorStats>(`${build.emulator}/_emulator/stats`, 'GET', undefined, control);
  const before = { cpu: cpuSeconds(child.pid), emulator: await stats() };
  let done: { count: number; p50Ms: number; p99Ms: number };
  if (page.key === 'signin') {
    const client = new SignInClient(origin, `${build.emulator}/v1/authorize`, USER.displayName);
    const flows = await client.run(SIGN_IN_BROWSERS, { durationMs: seconds * 1000 });
    client.close();
    if (flows.errors > 0) throw new Error(`${build.label} sign-in: ${flows.errors} failed flows (${flows.firstError})`);
    done = { count: flows.flows, p50Ms: flows.p50Ms, p99Ms: flows.p99Ms };
  } else {
    const result = await cannon({
      url: `${origin}${page.path}`,
      connections: CONNECTIONS,
      durationS: seconds,
      headers: service.cookie ? { cookie: service.cookie } : undefined,
      onLatency: (ms) => latencies.push(ms),
    });
    const problems = problemsOf(result);
    if (problems) throw new Error(`${build.label} ${page.name}: ${problems}`);
    done = { count: result.total, p50Ms: result.p50Ms, p99Ms: result.p99Ms };
  }
  const used = cpuSeconds(child.pid) - before.cpu;
  const after = await stats();
  return {
    cpuUs: (used / done.count) * 1e6,
    p50Ms: done.p50Ms,
    p99Ms: done.p99Ms,
    calls: after.requests.rooms - before.emulator.requests.rooms,
    // The bench's own stats requests keep one connection of their own alive.
    opened: after.connections - before.emulator.connections,
  };
}

/**
 * The p99 of all of a build's responses over every round, B / A, with a 90 % interval from
 * resampling whole rounds (the same rounds for both: A's and B's slices of a round ran side by
 * side). One slice's p99 rests on a few dozen responses and swings by tens of percent from a
 * single pause; the pooled one rests on all of them.
 */
function pooledTail(latencies: Record<Label, number[][]>, pct: (ratio: number) => string): string {
  const rounds = latencies.A.length;
  const p99Of = (label: Label, picks: number[]) =>
    quantile(
      picks.flatMap((round) => latencies[label][round]),
      0.99,
    );
  const all = Array.from({ length: rounds }, (_, round) => round);
  const [a, b] = [p99Of('A', all), p99Of('B', all)];
  const resampled = Array.from({ length: 200 }, () => {
    const picks = all.map(() => Math.floor(Math.random() * rounds));
    return p99Of('B', picks) / p99Of('A', picks);
  });
  const [low, high] = [quantile(resampled, 0.05), quantile(resampled, 0.95)];
  return `pooled p99 of every response: A ${a.toFixed(1)} ms, B ${b.toFixed(1)} ms, B vs A ${pct(b / a)} (90 % interval ${pct(low)} … ${pct(high)})`;
}

async function main(): Promise<void> {
  pinSelf(LOADGEN_CPU);
  const rounds = Number(values.rounds);
  const seconds = Number(values.seconds);
  const warmup = Number(values.warmup);
  const children = new Children(join(__dirname, 'out', 'logs'));
  const control = new CountingAgent();
  let services: Service[] = [];
  try {
    const builds = [
      await startEmulator(
        children,
        'A',
        resolve(values.a as string),
        values.emulator === 'b' ? resolve(values.b) : undefined,
      ),
      await startEmulator(children, 'B', resolve(values.b)),
    ];
    process.stdout.write(`A: ${builds[0].root}\nB: ${builds[1].root}\n`);
    const wanted = new Set(values.pages.split(','));
    for (const page of PAGES.filter(({ key }) => wanted.has(key))) {
      for (const build of builds)
        await requestJson(
          `${build.emulator}/_emulator/latency`,
          'POST',
          { ms: page.latencyMs, route: 'rooms' },
          control,
        );
      const cpu: Record<Label, number[]> = { A: [], B: [] };
      const p50: Record<Label, number[]> = { A: [], B: [] };
      const p99: Record<Label, number[]> = { A: [], B: [] };
      const calls: Record<Label, number> = { A: 0, B: 0 };
      const opened: Record<Label, number> = { A: 0, B: 0 };
      const ratios: number[] = [];
      const tailRatios: number[] = [];
      // Every response's latency, by build and round, for the pooled p99 (not for sign-in flows).
      const latencies: Record<Label, number[][]> = { A: [], B: [] };
      for (let round = 0; round < rounds; round++) {
        // A fresh pair each round, warmed up alike; the one measured first is warmed last, so that
        // neither waits idle longer before its slice (an idle pool drops its Webex connections).
        await Promise.all(services.map(({ child }) => children.stop(child)));
        services = [];
        for (const build of builds) services.push(await startService(children, build, page.signedIn));
        const order = round % 2 === 0 ? services : [...services].reverse();
        for (const service of [...order].reverse()) await slice(service, page, warmup, control);
        const got: Partial<Record<Label, SliceResult>> = {};
        for (const service of order) {
          const { label } = service.build;
          const pooled: number[] = [];
          latencies[label].push(pooled);
          const result = await slice(service, page, seconds, control, pooled);
          cpu[label].push(result.cpuUs);
          p50[label].push(result.p50Ms);
          p99[label].push(result.p99Ms);
          calls[label] += result.calls;
          opened[label] += result.opened;
          got[label] = result;
        }
        const { A, B } = got as Record<Label, SliceResult>;
        ratios.push(B.cpuUs / A.cpuUs);
        tailRatios.push(B.p99Ms / A.p99Ms);
      }
      const churn = builds.map(({ label }) =>
        calls[label] > 0 ? `${label} ${opened[label]} new connections for ${calls[label]} /rooms calls` : '',
      );
      const ms = (value: number) => `${value.toFixed(1)} ms`;
      const pct = (r: number) => `${r >= 1 ? '+' : ''}${((r - 1) * 100).toFixed(1)} %`;
      const versus = (r: number[]) =>
        `B vs A ${pct(median(r))} (rounds ${pct(Math.min(...r))} … ${pct(Math.max(...r))})`;
      process.stdout.write(
        `${page.name}: A ${Math.round(median(cpu.A))} µs, B ${Math.round(median(cpu.B))} µs CPU/request; ` +
          `${versus(ratios)}; p50 A ${ms(median(p50.A))}, B ${ms(median(p50.B))}; ` +
          `p99 A ${ms(median(p99.A))}, B ${ms(median(p99.B))}, ${versus(tailRatios)}` +
          `${churn[0] ? `; ${churn.join(', ')}` : ''}\n`,
      );
      if (page.key !== 'signin') process.stdout.write(`  ${pooledTail(latencies, pct)}\n`);
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
