/**
 * `npm run bench`: builds the service for production, starts the standalone Webex emulator and
 * the service as child processes, and measures the figures in bench/RESULTS.md (each the median
 * of 3 runs). Flags: --quick (2 s runs, fewer sessions), --duration S, --only a,b (figure keys),
 * --no-build, --profile (profile every throughput figure, not only misses), --node-flags "…"
 * (instead of start:prod's), --log-level L (default: the service's own, log). Only a full run with
 * start:prod's flags and the default log level rewrites the generated part of RESULTS.md; every
 * run writes its raw data to bench/out/.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as prettier from 'prettier';
import type { BareServerConfig } from './bare-server';
import type { StackFloorConfig, StackLayer } from './stack-floor';
import { CpuMeter, type CpuUse, type QuietCheck, round, waitForLoadAverage, waitForQuiet } from './lib/cpu';
import { CountingAgent, request, requestJson } from './lib/http';
import { cannon, type LoadOptions, type LoadResult, problemsOf } from './lib/load';
import {
  type Child,
  Children,
  freePort,
  pinSelf,
  rssBytes,
  taskset,
  waitForOutput,
  waitForStatus,
} from './lib/processes';
import { profileMarkdown, summarizeProfile } from './lib/profile';
import {
  type BenchResults,
  type Figure,
  machineInfo,
  median,
  renderResults,
  sourceInfo,
  type Run,
  withBlock,
} from './lib/report';
import { SignInClient } from './lib/signin';
import { CLIENT_ID, emulatorCommand, productionNodeFlags, serviceEnv, USER } from './lib/service';

const ROOT = join(__dirname, '..');
const OUT = join(ROOT, 'bench', 'out');
const SERVICE_CPU = '0';
const LOADGEN_CPU = '1';
/** Other people's processes may use at most this much CPU when a run starts (and while it runs). */
const MAX_FOREIGN_CORES = 0.3;
const MAX_QUIET_WAIT_MS = 60_000;
const CONNECTIONS = 50;
const FLOW_CONCURRENCY = 32;
const ROOMS_LATENCY_MS = 20;
const FIGURE_KEYS = [
  'home',
  'bare-home',
  'floor',
  'listrooms',
  'bare-rooms',
  'connections',
  'signin',
  'memory',
  'cold-start',
] as const;
type FigureKey = (typeof FIGURE_KEYS)[number];

interface Args {
  quick: boolean;
  durationS: number;
  runs: number;
  only: Set<FigureKey>;
  build: boolean;
  profileAll: boolean;
  /** Node flags for the service; default: those of `npm run start:prod`, as deployed. */
  nodeFlags: string[];
  customFlags: boolean;
  /** The service's LOG_LEVEL; default: the service's own default (`log`: a line per request). */
  logLevel: string;
}

/** The flags between `node` and the entry point in package.json's start:prod: the service is measured as it is run. */
const USAGE = `usage: npm run bench -- [--quick] [--duration S] [--only ${FIGURE_KEYS.join(',')}] [--no-build] [--profile] [--node-flags "…"] [--log-level L]`;

function parseArgs(argv: string[]): Args {
  for (let i = 0; i < argv.length; i++) {
    if (['--duration', '--only', '--node-flags', '--log-level'].includes(argv[i])) i++;
    else if (!['--quick', '--no-build', '--profile'].includes(argv[i]))
      throw new Error(`unknown argument ${argv[i]}\n${USAGE}`);
  }
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const quick = argv.includes('--quick');
  const only = value('--only')?.split(',') ?? [...FIGURE_KEYS];
  for (const key of only)
    if (!(FIGURE_KEYS as readonly string[]).includes(key)) throw new Error(`--only: unknown figure ${key}`);
  return {
    quick,
    durationS: Number(value('--duration') ?? (quick ? 2 : 10)),
    runs: 3,
    only: new Set(only as FigureKey[]),
    build: !argv.includes('--no-build'),
    profileAll: argv.includes('--profile'),
    nodeFlags: value('--node-flags')?.split(/\s+/).filter(Boolean) ?? productionNodeFlags(),
    customFlags: value('--node-flags') !== undefined,
    logLevel: value('--log-level') ?? 'log',
  };
}

const log = (line: string): void => void process.stdout.write(`${line}\n`);

class Bench {
  private readonly children = new Children(join(OUT, 'logs'));
  private readonly meter = new CpuMeter(() => this.pids());
  private readonly named = new Map<string, Child>();
  private readonly control = new CountingAgent();
  private readonly secret = randomBytes(24).toString('base64url');
  private readonly sessionSecret = randomBytes(48).toString('base64url');
  private emulatorOrigin = '';
  private servicePort = 0;
  private serviceOrigin = '';
  private homePage?: { headers: Record<string, string>; body: string };
  private roomsPage?: { headers: Record<string, string>; body: string };
  private cookie = '';
  private roomsLatencyMs = 0;
  readonly figures: Figure[] = [];
  readonly profiles: BenchResults['profiles'] = [];
  memoryDiag?: BenchResults['memoryDiagnostic'];
  readonly diagnosticErrors: string[] = [];

  constructor(private readonly args: Args) {}

  private pids(): ReadonlyMap<string, number> {
    return new Map([...this.named].filter(([, c]) => c.process.exitCode === null).map(([n, c]) => [n, c.pid]));
  }

  // ---- processes -------------------------------------------------------------------------------

  async startEmulator(): Promise<void> {
    const port = await freePort();
    this.servicePort = await freePort();
    this.serviceOrigin = `http://127.0.0.1:${this.servicePort}`;
    const emulator = emulatorCommand({ port, secret: this.secret, serviceOrigin: this.serviceOrigin });
    const child = this.children.spawn('emulator', process.execPath, emulator.args, {
      cwd: ROOT,
      cpus: LOADGEN_CPU,
      env: { NODE_ENV: 'production' },
    });
    this.named.set('emulator', child);
    this.emulatorOrigin = (await waitForOutput(child, emulator.ready))[1];
  }

  private serviceEnv(extra: Record<string, string> = {}): Record<string, string> {
    return {
      ...serviceEnv({
        emulatorOrigin: this.emulatorOrigin,
        serviceOrigin: this.serviceOrigin,
        secret: this.secret,
        sessionSecret: this.sessionSecret,
        logLevel: this.args.logLevel,
      }),
      ...extra,
    };
  }

  /**
   * Spawns `node dist/main.js` on the service core; resolves with spawn → first 200 on GET /.
   * `hook` preloads bench/service-hook.cjs (profiler and GC diagnostics): never for measured figures.
   */
  async startService(
    options: { hook?: boolean; profileFile?: string } = {},
  ): Promise<{ child: Child; readyMs: number }> {
    const flags = this.args.nodeFlags;
    const args = options.hook
      ? [...flags, '--expose-gc', '-r', './bench/service-hook.cjs', 'dist/main.js']
      : [...flags, 'dist/main.js'];
    const env = this.serviceEnv(options.profileFile ? { BENCH_PROFILE_FILE: options.profileFile } : {});
    const since = performance.now();
    const child = this.children.spawn('service', process.execPath, args, { cwd: ROOT, cpus: SERVICE_CPU, env });
    this.named.set('service', child);
    const readyMs = await waitForStatus(`${this.serviceOrigin}/`, child, { since, intervalMs: 5 });
    return { child, readyMs: round(readyMs, 1) };
  }

  async stop(name: string): Promise<void> {
    const child = this.named.get(name);
    if (child) {
      this.meter.retire(name, child.pid);
      await this.children.stop(child);
    }
    this.named.delete(name);
  }

  async stopAll(): Promise<void> {
    this.control.destroy();
    await this.children.stopAll();
  }

  private async emulatorControl<T>(
    path: string,
    body?: unknown,
    method = body === undefined ? 'GET' : 'POST',
  ): Promise<T> {
    return requestJson<T>(`${this.emulatorOrigin}/_emulator/${path}`, method, body, this.control);
  }

  /** Reset also clears latency and faults: the latency in force is put back. */
  private async resetEmulatorStats(): Promise<void> {
    await this.emulatorControl('reset', {});
    if (this.roomsLatencyMs > 0) await this.setRoomsLatency(this.roomsLatencyMs);
  }

  private async setRoomsLatency(ms: number): Promise<void> {
    await this.emulatorControl('latency', { ms, route: 'rooms' });
    this.roomsLatencyMs = ms;
  }

  // ---- measuring -------------------------------------------------------------------------------

  /**
   * One measured run: waits for a quiet machine, records the load at the start and the CPU use
   * of every process during the run. A run that other people's work disturbed is done again once.
   */
  private async measured<T>(label: string, fn: () => Promise<T>): Promise<Run<T>> {
    for (let attempt = 1; ; attempt++) {
      const quiet: QuietCheck = await waitForQuiet(this.meter, MAX_FOREIGN_CORES, MAX_QUIET_WAIT_MS);
      const start = this.meter.sample();
      const value = await fn();
      const cpu: CpuUse = this.meter.use(start);
      const disturbed = cpu.foreignCores >= MAX_FOREIGN_CORES;
      const cpuText = Object.entries(cpu.byProcess)
        .map(([n, c]) => `${n} ${c}`)
        .join(', ');
      log(
        `  ${label}${attempt > 1 ? ` (again)` : ''}: ${summary(value)}  [load ${quiet.loadavg1}, foreign ${quiet.foreignCores}→${cpu.foreignCores} cores${quiet.waitedMs > 0 ? `, waited ${Math.round(quiet.waitedMs / 1000)} s` : ''}; cpu ${cpuText}]`,
      );
      if (!disturbed || attempt === 2) return { value, quiet, cpu, disturbed, attempt };
    }
  }

  private async load(options: Omit<LoadOptions, 'connections'> & { connections?: number }): Promise<LoadResult> {
    const result = await cannon({ connections: CONNECTIONS, durationS: this.args.durationS, ...options });
    const problem = problemsOf(result);
    if (problem) throw new Error(`${options.url}: ${problem}`);
    return result;
  }

  private warm(url: string, headers?: Record<string, string>): Promise<LoadResult> {
    return cannon({ url, connections: CONNECTIONS, durationS: Math.min(2, this.args.durationS), headers });
  }

  private async runs<T>(label: string, fn: () => Promise<T>): Promise<Run<T>[]> {
    const out: Run<T>[] = [];
    for (let i = 1; i <= this.args.runs; i++) out.push(await this.measured(`${label} #${i}`, fn));
    return out;
  }

  // ---- the figures -----------------------------------------------------------------------------

  async prepare(): Promise<void> {
    const home = await request(`${this.serviceOrigin}/`);
    const again = await request(`${this.serviceOrigin}/`);
    if (home.status !== 200 || home.body !== again.body || !home.body.includes('Start OAuth flow')) {
      throw new Error(`GET / is not a stable signed-out home page (${home.status})`);
    }
    this.homePage = { headers: replayableHeaders(home.headers), body: home.body };

    const client = new SignInClient(this.serviceOrigin, `${this.emulatorOrigin}/v1/authorize`, USER.displayName);
    this.cookie = await client.signIn();
    client.close();
    const rooms = await request(`${this.serviceOrigin}/listrooms`, { headers: { cookie: this.cookie } });
    const roomsAgain = await request(`${this.serviceOrigin}/listrooms`, { headers: { cookie: this.cookie } });
    if (rooms.status !== 200 || rooms.body !== roomsAgain.body || !rooms.body.includes(`${USER.rooms} spaces`)) {
      throw new Error(`GET /listrooms signed in is not the stable ${USER.rooms}-space page (${rooms.status})`);
    }
    this.roomsPage = { headers: replayableHeaders(rooms.headers), body: rooms.body };
  }

  async home(): Promise<number> {
    const url = `${this.serviceOrigin}/`;
    log(`1. signed-out home page, ${CONNECTIONS} connections, ${this.args.durationS} s`);
    await this.warm(url);
    const runs = await this.runs('GET /', () => this.load({ url, expectBody: this.homePage?.body }));
    const rps = median(runs.map((r) => r.value.rps));
    this.figures.push(
      loadFigure('home', '1. Signed-out home `GET /`', runs, {
        target: '≤ 200 µs CPU/request',
        met: (m) => m.cpuUsPerRequest <= 200,
      }),
    );
    return rps;
  }

  async bareHome(serviceRps: number | undefined): Promise<void> {
    log('2. bare node:http server with the same home-page bytes');
    const port = await freePort();
    const page = this.homePage as NonNullable<Bench['homePage']>;
    await this.withBare({ mode: 'home', port, ...page }, async (url) => {
      await this.warm(url);
      const runs = await this.runs('bare GET /', () => this.load({ url, expectBody: page.body }));
      const fig = loadFigure('bare-home', '2. Bare `node:http`, same home bytes', runs);
      this.figures.push(fig);
      if (serviceRps !== undefined) {
        const fraction = serviceRps / fig.median.rps;
        this.figures.push({
          key: 'home-fraction',
          title: '2. Service home req/s as a fraction of the bare server',
          median: { fraction: round(fraction, 3) },
          runs: [],
          target: '≥ 11 %',
          met: fraction >= 0.11,
          display: `${pct(fraction)} (${serviceRps} / ${fig.median.rps} req/s)`,
        });
      }
    });
  }

  /**
   * The fixed stack's own cost for the same page, layer by layer (bench/stack-floor.ts): what
   * the home page costs before any of the service's code runs.
   */
  async stackFloor(): Promise<void> {
    const page = this.homePage as NonNullable<Bench['homePage']>;
    const layers: [StackLayer, string][] = [
      ['nest', 'Nest on Express sending the same home bytes'],
      ['session', '… + express-session as the service mounts it (run for a request with its cookie)'],
      ['render', '… + the page rendered by hbs from views/'],
      ['required', "… + security headers (Nest's useSecurityHeaders) and a request line (pino-http)"],
    ];
    log('2b. the fixed stack alone, layer by layer, answering the same home page');
    for (const [layer, title] of layers) {
      const port = await freePort();
      await this.withFloor({ layer, port, ...page }, async (url) => {
        await this.warm(url);
        // The rendered page must be the service's own bytes: the same template work, nothing less.
        const runs = await this.runs(`stack floor (${layer}) GET /`, () => this.load({ url, expectBody: page.body }));
        this.figures.push(loadFigure(`floor-${layer}`, `2b. Stack floor: ${title}`, runs));
      });
    }
  }

  async listrooms(): Promise<{ rps0?: number; rps20?: number }> {
    const url = `${this.serviceOrigin}/listrooms`;
    const headers = { cookie: this.cookie };
    const expectBody = this.roomsPage?.body;
    log(
      `3. /listrooms signed in, ${CONNECTIONS} connections, ${this.args.durationS} s, 0 and ${ROOMS_LATENCY_MS} ms Webex latency`,
    );
    await this.setRoomsLatency(0);
    await this.warm(url, headers);
    const withConnections = async (): Promise<LoadResult & { webexConnectionsPer1000: number }> => {
      await this.resetEmulatorStats();
      const before = this.control.opened;
      const result = await this.load({ url, headers, expectBody });
      const stats = await this.emulatorControl<{ connections: number; requests: { rooms: number } }>('stats');
      const connections = stats.connections - (this.control.opened - before);
      // Nothing is cached across page views: every /listrooms must have made its own /rooms call.
      if (stats.requests.rooms < result.total) {
        throw new Error(`${result.total} /listrooms answered with only ${stats.requests.rooms} /rooms calls to Webex`);
      }
      return { ...result, webexConnectionsPer1000: round((connections / Math.max(1, stats.requests.rooms)) * 1000, 2) };
    };
    const zero = await this.runs('GET /listrooms (0 ms)', withConnections);
    const fig0 = loadFigure('listrooms-0', '3. `/listrooms` signed in, 0 ms Webex latency', zero, {
      target: '≤ 400 µs CPU/request',
      met: (m) => m.cpuUsPerRequest <= 400,
    });
    fig0.median.webexConnectionsPer1000 = median(zero.map((r) => r.value.webexConnectionsPer1000));
    this.figures.push(fig0);

    if (this.args.only.has('connections')) await this.connections();

    await this.setRoomsLatency(ROOMS_LATENCY_MS);
    await this.warm(url, headers);
    const slow = await this.runs(`GET /listrooms (${ROOMS_LATENCY_MS} ms)`, () =>
      this.load({ url, headers, expectBody }),
    );
    await this.setRoomsLatency(0);
    const fig20 = loadFigure(
      'listrooms-20',
      `3. \`/listrooms\` signed in, ${ROOMS_LATENCY_MS} ms Webex latency`,
      slow,
      {
        target: `p99 ≤ ${ROOMS_LATENCY_MS + 35} ms`,
        met: (m) => m.p99Ms <= ROOMS_LATENCY_MS + 35,
      },
    );
    this.figures.push(fig20);
    return { rps0: fig0.median.rps, rps20: fig20.median.rps };
  }

  /** 8. New TCP connections the emulator accepted per 1,000 /listrooms, pool already warm. */
  async connections(): Promise<void> {
    log('8. TCP connections to Webex per 1,000 /listrooms (emulator stats)');
    const url = `${this.serviceOrigin}/listrooms`;
    const runs = await this.runs('1,000 × GET /listrooms', async () => {
      await this.resetEmulatorStats();
      const before = this.control.opened;
      const result = await this.load({
        url,
        headers: { cookie: this.cookie },
        amount: 1000,
        expectBody: this.roomsPage?.body,
      });
      const stats = await this.emulatorControl<{ connections: number; requests: { rooms: number } }>('stats');
      return {
        requests: result.total,
        roomsCalls: stats.requests.rooms,
        connections: stats.connections - (this.control.opened - before),
      };
    });
    const connections = median(runs.map((r) => r.value.connections));
    this.figures.push({
      key: 'connections',
      title: '8. TCP connections opened to Webex per 1,000 `/listrooms`',
      median: { connections, roomsCalls: median(runs.map((r) => r.value.roomsCalls)) },
      runs: runs.map((r) => ({ ...r, value: r.value })),
      target: '≪ 1,000 (≤ 100)',
      met: connections <= 100,
      display: `${connections} connections for ${median(runs.map((r) => r.value.roomsCalls))} /rooms calls`,
      runFormat: { kind: 'connections' },
    });
  }

  /** The stack's own cost for a signed-in page that makes one Webex call through HttpService. */
  private async stackFloorRooms(roomsUrl: string, accessToken: string): Promise<void> {
    const page = this.roomsPage as NonNullable<Bench['roomsPage']>;
    log('4b. the fixed stack alone: a signed-in session and one /rooms call through HttpService, 0 ms latency');
    await this.setRoomsLatency(0);
    await this.withFloor({ layer: 'rooms', port: await freePort(), ...page, roomsUrl, accessToken }, async (url) => {
      const start = await request(`${url}start`);
      const cookie = String([start.headers['set-cookie']].flat()[0] ?? '').split(';')[0];
      if (start.status !== 204 || !cookie) throw new Error(`stack floor: GET /start gave no session (${start.status})`);
      const headers = { cookie };
      const pageUrl = `${url}listrooms`;
      await this.warm(pageUrl, headers);
      const runs = await this.runs('stack floor (rooms) GET /listrooms', () =>
        this.load({ url: pageUrl, headers, expectBody: page.body }),
      );
      this.figures.push(
        loadFigure(
          'floor-rooms',
          '4b. Stack floor: Nest + express-session (signed in) + one `/rooms` call through HttpService, same `/listrooms` bytes (no render)',
          runs,
        ),
      );
    });
  }

  async bareRooms(serviceRps: { rps0?: number; rps20?: number }): Promise<void> {
    log('4. bare node:http server: the same /rooms call per request, the same /listrooms bytes');
    const tokens = await this.emulatorControl<{ access_token: string }>('tokens', {
      handle: USER.handle,
      clientId: CLIENT_ID,
    });
    const page = this.roomsPage as NonNullable<Bench['roomsPage']>;
    const roomsUrl = `${this.emulatorOrigin}/v1/rooms?max=1000&sortBy=lastactivity`;
    if (this.args.only.has('floor')) await this.stackFloorRooms(roomsUrl, tokens.access_token);
    const config: BareServerConfig = {
      mode: 'rooms',
      port: await freePort(),
      ...page,
      roomsUrl,
      accessToken: tokens.access_token,
    };
    await this.withBare(config, async (url) => {
      for (const ms of [0, ROOMS_LATENCY_MS]) {
        await this.setRoomsLatency(ms);
        await this.warm(url);
        const runs = await this.runs(`bare /listrooms (${ms} ms)`, () => this.load({ url, expectBody: page.body }));
        const fig = loadFigure(
          `bare-rooms-${ms}`,
          `4. Bare \`node:http\` + same \`/rooms\` call, ${ms} ms latency`,
          runs,
        );
        const service = ms === 0 ? serviceRps.rps0 : serviceRps.rps20;
        if (service !== undefined) {
          const fraction = service / fig.median.rps;
          fig.median.serviceFraction = round(fraction, 3);
          fig.display = `${fig.display}; service = ${pct(fraction)} of this`;
        }
        this.figures.push(fig);
      }
      await this.setRoomsLatency(0);
    });
  }

  async signin(): Promise<void> {
    log(`5. complete sign-in flows, ${FLOW_CONCURRENCY} in parallel, ${this.args.durationS} s`);
    const client = new SignInClient(this.serviceOrigin, `${this.emulatorOrigin}/v1/authorize`, USER.displayName);
    try {
      await client.run(FLOW_CONCURRENCY, { durationMs: Math.min(2, this.args.durationS) * 1000 });
      const runs = await this.runs('sign-in flows', async () => {
        const stats = await client.run(FLOW_CONCURRENCY, { durationMs: this.args.durationS * 1000 });
        if (stats.errors > 0) throw new Error(`sign-in flows failed ${stats.errors} times: ${stats.firstError}`);
        return stats;
      });
      const perSecond = median(runs.map((r) => r.value.flowsPerSecond));
      // Three service requests and two Webex calls per flow: the service's CPU time for all of them.
      const cpuMsPerFlow = round(median(runs.map((r) => cpuMicrosPer(r, 'service', r.value.flows))) / 1000, 2);
      this.figures.push({
        key: 'signin',
        title: `5. Complete sign-in flows (${FLOW_CONCURRENCY} in parallel)`,
        median: {
          flowsPerSecond: perSecond,
          cpuMsPerFlow,
          p50Ms: median(runs.map((r) => r.value.p50Ms)),
          p99Ms: median(runs.map((r) => r.value.p99Ms)),
        },
        runs,
        target: '≤ 1.1 ms CPU/flow',
        met: cpuMsPerFlow <= 1.1,
        display: `${cpuMsPerFlow} ms CPU/flow, ${perSecond} flows/s, flow p50 ${median(runs.map((r) => r.value.p50Ms))} ms, p99 ${median(runs.map((r) => r.value.p99Ms))} ms`,
        runFormat: { kind: 'field', field: 'flowsPerSecond', unit: '/s' },
      });
    } finally {
      client.close();
    }
  }

  /** 6. A fresh service per run: RSS before and after N signed-in sessions (memory store). */
  async memory(): Promise<void> {
    const [first, total] = this.args.quick ? [500, 2000] : [2000, 10_000];
    log(`6. service RSS after ${first} and ${total} signed-in sessions (fresh service per run)`);
    await this.stop('service');
    const runs = await this.runs('sessions', async () => {
      const { child } = await this.startService();
      const client = new SignInClient(this.serviceOrigin, `${this.emulatorOrigin}/v1/authorize`, USER.displayName);
      try {
        // Warm-up flows compile the sign-in path, so the baseline holds the code and the figures hold sessions.
        const warm = 300;
        await this.flows(client, warm);
        const baseline = await settledRss(child.pid);
        await this.flows(client, first);
        const atFirst = await settledRss(child.pid);
        await this.flows(client, total - first);
        const atTotal = await settledRss(child.pid);
        return {
          warmupSessions: warm,
          baselineBytes: baseline,
          [`rssAt${first}`]: atFirst,
          [`rssAt${total}`]: atTotal,
          bytesPerSessionFirst: Math.round((atFirst - baseline) / first),
          bytesPerSessionTotal: Math.round((atTotal - baseline) / total),
          marginalBytesPerSession: Math.round((atTotal - atFirst) / (total - first)),
        };
      } finally {
        client.close();
        await this.stop('service');
      }
    });
    for (const [field, n] of [
      ['bytesPerSessionFirst', first],
      ['bytesPerSessionTotal', total],
    ] as const) {
      const perSession = median(runs.map((r) => r.value[field]));
      this.figures.push({
        key: `memory-${n}`,
        title: `6. RSS per signed-in session after ${n.toLocaleString('en')} sessions`,
        median: { bytesPerSession: perSession, baselineBytes: median(runs.map((r) => r.value.baselineBytes)) },
        runs,
        display: `${perSession.toLocaleString('en')} B/session (baseline RSS ${mb(median(runs.map((r) => r.value.baselineBytes)))})`,
        runFormat: { kind: 'field', field, unit: 'B' },
      });
    }
    const rssAtTotal = median(runs.map((r) => r.value[`rssAt${total}`]));
    this.figures.push({
      key: `memory-rss-${total}`,
      title: `6. RSS after ${total.toLocaleString('en')} signed-in sessions`,
      median: { rssBytes: rssAtTotal },
      runs,
      // The target is for the full run's 10,000 sessions; --quick's 2,000 are not held to it.
      ...(total === 10_000 ? { target: '≤ 175 MB', met: rssAtTotal <= 175 * 1024 * 1024 } : {}),
      display: mb(rssAtTotal),
      runFormat: { kind: 'field', field: `rssAt${total}`, unit: 'B' },
    });
    const marginal = median(runs.map((r) => r.value.marginalBytesPerSession));
    this.figures.push({
      key: 'memory-marginal',
      title: `6. Marginal RSS per session between ${first.toLocaleString('en')} and ${total.toLocaleString('en')}`,
      median: { bytesPerSession: marginal },
      runs,
      display: `${marginal.toLocaleString('en')} B/session`,
      runFormat: { kind: 'field', field: 'marginalBytesPerSession', unit: 'B' },
    });
  }

  private async flows(client: SignInClient, count: number): Promise<void> {
    const stats = await client.run(FLOW_CONCURRENCY, { count });
    if (stats.errors > 0 || stats.flows !== count) {
      throw new Error(`${stats.flows}/${count} sign-ins, ${stats.errors} errors: ${stats.firstError}`);
    }
  }

  /** 7. Spawn → first 200 on GET /, median of 5 fresh processes. */
  async coldStart(): Promise<void> {
    log('7. cold start: spawn → first 200 on GET / (5 runs)');
    await this.stop('service');
    const runs: Run<{ readyMs: number }>[] = [];
    for (let i = 1; i <= 5; i++) {
      runs.push(
        await this.measured(`cold start #${i}`, async () => {
          const { readyMs } = await this.startService();
          await this.stop('service');
          return { readyMs };
        }),
      );
    }
    const readyMs = median(runs.map((r) => r.value.readyMs));
    this.figures.push({
      key: 'cold-start',
      title: '7. Cold start: spawn → first 200 on `GET /`',
      median: { readyMs },
      runs,
      target: '≤ 600 ms',
      met: readyMs <= 600,
      display: `${readyMs} ms`,
      runFormat: { kind: 'field', field: 'readyMs', unit: 'ms' },
    });
  }

  /** Profiles the service under the load of each missed throughput figure (and all with --profile). */
  async profileMisses(): Promise<void> {
    const wanted = this.figures.filter((f) =>
      ['home', 'listrooms-0', 'listrooms-20', 'signin', 'home-fraction'].includes(f.key),
    );
    const misses = new Set(
      wanted
        .filter((f) => this.args.profileAll || f.met === false)
        .map((f) => (f.key === 'home-fraction' ? 'home' : f.key)),
    );
    if (misses.size === 0) return;
    log(`profiling the service under: ${[...misses].join(', ')}`);
    await this.stop('service');
    mkdirSync(join(OUT, 'profiles'), { recursive: true });
    const seconds = Math.min(5, this.args.durationS);
    for (const key of misses) {
      const file = join(OUT, 'profiles', `${key}.cpuprofile`);
      const { child } = await this.startService({ hook: true, profileFile: file });
      try {
        const client = new SignInClient(this.serviceOrigin, `${this.emulatorOrigin}/v1/authorize`, USER.displayName);
        const cookie = await client.signIn();
        const loadFor = async (): Promise<void> => {
          if (key === 'signin') await client.run(FLOW_CONCURRENCY, { durationMs: seconds * 1000 });
          else if (key === 'home')
            await cannon({ url: `${this.serviceOrigin}/`, connections: CONNECTIONS, durationS: seconds });
          else
            await cannon({
              url: `${this.serviceOrigin}/listrooms`,
              connections: CONNECTIONS,
              durationS: seconds,
              headers: { cookie },
            });
        };
        await this.setRoomsLatency(key === 'listrooms-20' ? ROOMS_LATENCY_MS : 0);
        await loadFor(); // warm-up, not profiled
        await waitForQuiet(this.meter, MAX_FOREIGN_CORES, MAX_QUIET_WAIT_MS);
        // Under load the service writes a request line per request: its answers are looked for in
        // what it wrote after each signal.
        const beforeStart = child.written;
        child.process.kill('SIGWINCH');
        await waitForOutput(child, /bench-profile: started/, 15_000, beforeStart);
        await loadFor();
        const beforeStop = child.written;
        child.process.kill('SIGWINCH');
        await waitForOutput(child, /bench-profile: written/, 20_000, beforeStop);
        client.close();
        const summary = summarizeProfile(file);
        summary.file = relative(ROOT, file);
        this.profiles.push({ figure: key, summary, markdown: profileMarkdown(summary) });
        log(
          `  ${key}: ${summary.busyPercent} % busy; top self: ${summary.topSelf
            .slice(0, 3)
            .map((r) => `${r.name} ${r.percent}%`)
            .join('; ')}`,
        );
      } finally {
        await this.setRoomsLatency(0);
        await this.stop('service');
      }
    }
  }

  /** Where the memory goes: the same sessions as figure 6, with a full GC before each reading (a diagnostic). */
  async memoryDiagnostic(): Promise<void> {
    const missed = this.figures.some((f) => f.key.startsWith('memory-') && f.met === false);
    if (!missed && !this.args.profileAll) return;
    const [first, total] = this.args.quick ? [500, 2000] : [2000, 10_000];
    log(`memory diagnostic: heap after a full GC at 0, ${first} and ${total} sessions (--expose-gc, separate service)`);
    await this.stop('service');
    const { child } = await this.startService({ hook: true });
    const client = new SignInClient(this.serviceOrigin, `${this.emulatorOrigin}/v1/authorize`, USER.displayName);
    try {
      await this.flows(client, 300);
      await waitForQuiet(this.meter, MAX_FOREIGN_CORES, MAX_QUIET_WAIT_MS);
      const base = await gcStats(child);
      await this.flows(client, first);
      const atFirst = await gcStats(child);
      await this.flows(client, total - first);
      const atTotal = await gcStats(child);
      const per = (a: MemoryStats, n: number) => ({
        heapUsedPerSession: Math.round((a.heapUsed - base.heapUsed) / n),
        externalPerSession: Math.round((a.external - base.external) / n),
        rssAfterGcPerSession: Math.round((a.rss - base.rss) / n),
      });
      const diag = {
        sessions: [first, total],
        base: { ...base },
        atFirst: { ...atFirst },
        atTotal: { ...atTotal },
        first: per(atFirst, first),
        total: per(atTotal, total),
      };
      this.memoryDiag = diag;
      log(`  after GC: ${JSON.stringify(diag.first)} at ${first}; ${JSON.stringify(diag.total)} at ${total}`);
    } finally {
      client.close();
      await this.stop('service');
    }
  }

  private withBare(config: BareServerConfig, body: (url: string) => Promise<void>): Promise<void> {
    return this.withReference(`bare-${config.mode}`, 'bench/bare-server.ts', config, body);
  }

  private withFloor(config: StackFloorConfig, body: (url: string) => Promise<void>): Promise<void> {
    // Production, as the service runs: Express caches views only then.
    return this.withReference(`floor-${config.layer}`, 'bench/stack-floor.ts', config, body, {
      NODE_ENV: 'production',
    });
  }

  /** Runs a reference server (`script` with `config` as its JSON file) on the service's core while `body` measures it. */
  private async withReference(
    name: string,
    script: string,
    config: { port: number },
    body: (url: string) => Promise<void>,
    env?: Record<string, string>,
  ): Promise<void> {
    mkdirSync(OUT, { recursive: true });
    const file = join(OUT, `${name}.json`);
    writeFileSync(file, JSON.stringify(config));
    const child = this.children.spawn(name, process.execPath, ['-r', 'ts-node/register/transpile-only', script, file], {
      cwd: ROOT,
      cpus: SERVICE_CPU,
      ...(env ? { env } : {}),
    });
    this.named.set(name, child);
    try {
      await waitForOutput(child, /listening/);
      await body(`http://127.0.0.1:${config.port}/`);
    } finally {
      await this.stop(name);
    }
  }
}

// ---- helpers -------------------------------------------------------------------------------------

function summary(value: unknown): string {
  if (typeof value !== 'object' || value === null) return String(value);
  const v = value as Record<string, unknown>;
  if ('rps' in v) return `${String(v.rps)} req/s, p50 ${String(v.p50Ms)} ms, p99 ${String(v.p99Ms)} ms`;
  if ('flowsPerSecond' in v)
    return `${String(v.flowsPerSecond)} flows/s, p50 ${String(v.p50Ms)} ms, p99 ${String(v.p99Ms)} ms`;
  return JSON.stringify(v);
}

function loadFigure<T extends LoadResult>(
  key: string,
  title: string,
  runs: Run<T>[],
  target?: { target: string; met: (m: Record<string, number>) => boolean },
): Figure {
  // bare-home, bare-rooms-0 → bare-home, bare-rooms; floor-nest → floor-nest.
  const server = /^(bare|floor)-/.test(key) ? key.split('-').slice(0, 2).join('-') : 'service';
  const m: Record<string, number> = {
    rps: median(runs.map((r) => r.value.rps)),
    p50Ms: median(runs.map((r) => r.value.p50Ms)),
    p99Ms: median(runs.map((r) => r.value.p99Ms)),
    // The load generator and the emulator share one core: when it is full, the figure is that core's limit.
    loadCoreUse: median(runs.map((r) => (r.cpu.byProcess.bench ?? 0) + (r.cpu.byProcess.emulator ?? 0))),
    serverCoreUse: median(runs.map((r) => r.cpu.byProcess[server] ?? 0)),
    // CPU time of the server process per answered request: steadier than req/s on a shared machine.
    cpuUsPerRequest: median(runs.map((r) => cpuMicrosPer(r, server, r.value.total))),
  };
  const loadBound = m.loadCoreUse >= 0.95;
  return {
    key,
    title,
    median: m,
    runs,
    target: target?.target,
    met: target ? target.met(m) : undefined,
    display:
      `${m.cpuUsPerRequest} µs CPU/request, ${m.rps.toLocaleString('en')} req/s, p50 ${m.p50Ms} ms, p99 ${m.p99Ms} ms` +
      (loadBound ? ` (CPU ${LOADGEN_CPU}, the load generator's, saturated: a lower bound)` : ''),
    runFormat: { kind: 'load' },
  };
}

/** Microseconds of `processName`'s CPU time (user + system) per unit of work in one run. */
function cpuMicrosPer(run: Run<object>, processName: string, count: number): number {
  return Math.round(((run.cpu.secondsByProcess[processName] ?? 0) / Math.max(1, count)) * 1e6);
}

/** Response headers worth replaying from the bare server: everything but per-response ones. */
function replayableHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const skip = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!skip.has(name) && value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** RSS once the process has been idle for a moment: the median of three samples over a second. */
async function settledRss(pid: number): Promise<number> {
  await sleep(1500);
  const samples: number[] = [];
  for (let i = 0; i < 3; i++) {
    samples.push(rssBytes(pid));
    await sleep(500);
  }
  return median(samples);
}

interface MemoryStats {
  rss: number;
  heapUsed: number;
  external: number;
}

/** Asks the hooked service for a full GC and its memory figures. */
async function gcStats(child: Child): Promise<MemoryStats> {
  const before = child.written;
  child.process.kill('SIGURG');
  const match = await waitForOutput(child, /bench-memory: (\{.*\})/, 10_000, before);
  return JSON.parse(match[1]) as MemoryStats;
}

const pct = (fraction: number): string => `${(fraction * 100).toFixed(1)} %`;
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

// ---- main ----------------------------------------------------------------------------------------

/** RESULTS.md is committed: written as Prettier would, so `npm run lint` stays clean. */
async function formatMarkdown(text: string): Promise<string> {
  const options = (await prettier.resolveConfig(join(ROOT, 'bench', 'RESULTS.md'))) ?? {};
  return prettier.format(text, { ...options, parser: 'markdown' });
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help')) return log(USAGE);
  const args = parseArgs(argv);
  const started = new Date();
  const machine = machineInfo(); // before pinning: nproc counts only the CPUs this process may use
  const pinned = pinSelf(LOADGEN_CPU);
  log(
    `bench: ${machine.nproc} CPUs; ${pinned ? `service on CPU ${SERVICE_CPU}, load generator + emulator on CPU ${LOADGEN_CPU} (taskset)` : 'no taskset: nothing pinned'}`,
  );
  const startLoad = await waitForLoadAverage(0.7, args.quick ? 5000 : MAX_QUIET_WAIT_MS);
  log(
    `bench: 1-minute load ${startLoad.loadavg1}${startLoad.waitedMs > 0 ? ` after waiting ${Math.round(startLoad.waitedMs / 1000)} s` : ''}`,
  );

  let buildMs: number | undefined;
  if (args.build) {
    const t0 = performance.now();
    try {
      execFileSync(join(ROOT, 'node_modules', '.bin', 'nest'), ['build'], {
        cwd: ROOT,
        stdio: 'pipe',
        encoding: 'utf8',
      });
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string };
      throw new Error(`nest build failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: error });
    }
    buildMs = Math.round(performance.now() - t0);
    log(`bench: nest build ${buildMs} ms`);
  }
  const source = sourceInfo(ROOT);

  const bench = new Bench(args);
  let failure: string | undefined;
  try {
    await bench.startEmulator();
    await bench.startService();
    await bench.prepare();
    const has = (key: FigureKey): boolean => args.only.has(key);
    const homeRps = has('home') ? await bench.home() : undefined;
    if (has('bare-home')) await bench.bareHome(homeRps);
    if (has('floor')) await bench.stackFloor();
    const roomsRps = has('listrooms') ? await bench.listrooms() : {};
    if (has('connections') && !has('listrooms')) await bench.connections();
    if (has('bare-rooms')) await bench.bareRooms(roomsRps);
    if (has('signin')) await bench.signin();
    if (has('memory')) await bench.memory();
    if (has('cold-start')) await bench.coldStart();
    // Diagnostics explain misses; if one fails, the figures are still written.
    for (const [name, step] of [
      ['memory diagnostic', () => (has('memory') ? bench.memoryDiagnostic() : Promise.resolve())],
      ['profiles', () => bench.profileMisses()],
    ] as const) {
      try {
        await step();
      } catch (error) {
        const message = `${name} failed: ${(error as Error).message}`;
        process.stderr.write(`bench: ${message}\n`);
        bench.diagnosticErrors.push(message);
      }
    }
  } catch (error) {
    failure = (error as Error).stack ?? String(error);
    process.stderr.write(`bench failed: ${failure}\n`);
  } finally {
    await bench.stopAll();
  }

  const results: BenchResults = {
    date: started.toISOString(),
    finished: new Date().toISOString(),
    args: { ...args, only: [...args.only] },
    machine,
    pinning: pinned
      ? { used: true, taskset: taskset(), service: SERVICE_CPU, loadGenerator: LOADGEN_CPU, emulator: LOADGEN_CPU }
      : { used: false },
    settings: {
      connections: CONNECTIONS,
      durationS: args.durationS,
      flowConcurrency: FLOW_CONCURRENCY,
      logLevel: args.logLevel,
      nodeEnv: 'production',
      sessionStore: 'memory',
      maxForeignCores: MAX_FOREIGN_CORES,
    },
    startLoad,
    buildMs,
    source,
    figures: bench.figures,
    profiles: bench.profiles,
    memoryDiagnostic: bench.memoryDiag,
    diagnosticErrors: bench.diagnosticErrors,
    failure,
  };
  mkdirSync(OUT, { recursive: true });
  const stamp = started.toISOString().replace(/[:.]/g, '-');
  const json = JSON.stringify(results, null, 2);
  writeFileSync(join(OUT, `results-${stamp}.json`), json);
  // Only a full run as deployed speaks for the project; anything else is an experiment.
  const complete = args.only.size === FIGURE_KEYS.length && !args.customFlags && args.logLevel === 'log';
  const block = renderResults(results);
  if (!args.quick && !failure && complete) {
    const resultsFile = join(ROOT, 'bench', 'RESULTS.md');
    writeFileSync(resultsFile, await formatMarkdown(withBlock(readFileSync(resultsFile, 'utf8'), block)));
    writeFileSync(join(OUT, 'latest.json'), json);
    log(`bench: wrote the figures in bench/RESULTS.md and bench/out/results-${stamp}.json`);
  } else {
    writeFileSync(join(OUT, 'RESULTS.quick.md'), await formatMarkdown(block));
    log(
      `bench: ${failure ? 'failed' : complete ? 'quick run' : 'partial run'}; bench/RESULTS.md left alone; see bench/out/RESULTS.quick.md and results-${stamp}.json`,
    );
  }
  if (failure) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
