/**
 * `npm run bench`: the figures in bench/RESULTS.md, each beside a reference measured in the same
 * run (RESULTS.md › Method). Builds the service (`npm run build`) and the references
 * (bench/tsconfig.build.json), starts the standalone emulator as Webex, then measures the service,
 * as start:prod runs it, and its references in alternating rounds, a fresh process each run.
 *
 *   npm run bench -- [--quick] [--only cold-start,home,listrooms,signin,memory] [--no-build] [--profile]
 *   npm run bench -- --ab ../previous-checkout    # or npm run bench:ab -- ../previous-checkout
 *
 * --ab: the other checkout's service (built, with its node_modules) is the reference of every
 * figure instead of the floors. --quick: 2 s runs and 2,000 sessions. --profile: the diagnostics
 * for every figure, not only for the missed ones. Only a full run rewrites RESULTS.md; every run
 * writes bench/out/RESULTS.<quick|ab>.md and its raw data.
 */
import type { ConfigType } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import * as prettier from 'prettier';
import { AppModule } from '../src/app.module';
import { FeaturesService } from '../src/auth';
import { sandboxConfig, sessionConfig, webexConfig } from '../src/config';
import type { FloorConfig } from './floor';
import { CpuMeter, round, threadSeconds, threadTicks, waitForQuiet } from './lib/cpu';
import { request, requestJson } from './lib/http';
import { cannon } from './lib/load';
import * as proc from './lib/processes';
import { profileMarkdown, summarizeProfile, type ProfileSummary } from './lib/profile';
import { type Figure, machineInfo, median, renderResults, withBlock } from './lib/report';
import { CLIENT_ID, emulatorCommand, productionCommand, serviceEnv, USER } from './lib/service';
import { SignInClient } from './lib/signin';

const ROOT = join(__dirname, '..');
const OUT = join(ROOT, 'bench', 'out');
const BUILD = join(OUT, 'build', 'bench');
const [SERVICE_CPU, LOADGEN_CPU] = ['0', '1'];
/** Other people's processes may use at most this much CPU when a run starts (and while it runs). */
const MAX_FOREIGN_CORES = 0.3;
const [CONNECTIONS, BROWSERS, WARM_SESSIONS] = [50, 32, 300];
const FIGURES = ['cold-start', 'home', 'listrooms', 'signin', 'memory'];

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string', default: FIGURES.join(',') },
    build: { type: 'boolean', default: true },
    profile: { type: 'boolean', default: false },
    ab: { type: 'string' },
  },
  allowNegative: true,
});
const only = new Set(flags.only.split(','));
for (const key of only) if (!FIGURES.includes(key)) throw new Error(`--only: no figure ${key}`);
const [DURATION_S, WARM_S, ROUNDS, COLD_STARTS] = flags.quick ? [2, 1, 3, 3] : [10, 3, 3, 5];
const SESSIONS = flags.quick ? 2000 : 10_000;
const AB = flags.ab === undefined ? undefined : resolve(flags.ab);

/** The processes measured, each on the service's core in its turn: the service and its references. */
type Name = 'service' | 'floor' | 'floor-headers' | 'empty-app' | 'previous';
/** The reference a figure is measured against: the floors, or with --ab the other build for all. */
const ref = (name: Name): Name => (AB ? 'previous' : name);
const LABELS: Record<Name, string> = {
  service: 'service',
  floor: 'floor',
  'floor-headers': 'floor with the service’s headers and request line',
  'empty-app': 'empty Nest app',
  previous: 'other build',
};

/** What one process did in one run, and whether other people's work disturbed the run. */
interface Sample {
  value: number;
  disturbed: boolean;
  p99Ms?: number;
  /** Requests or flows per second. */
  rate?: number;
  /** Requests or flows per second with the load unbounded (the warm-up's). */
  max?: number;
  /** CPU µs per request (flow) by thread group. */
  threads?: Record<string, number>;
}

/**
 * The pages as the bench loads them (`signin`: whole sign-in flows by 32 browsers), who serves
 * each, and the rate offered in a measured run (requests or flows a second): the same for the
 * service and its reference, and below what either sustains. At full load a slower server would
 * also pay more per request in the kernel (RESULTS.md › Method), which is not the code's cost.
 */
const PAGES = (
  [
    ['home', 'Signed-out home `GET /`', '/', 0, 2500],
    ['listrooms-0', '`/listrooms`, Webex 0 ms', '/listrooms', 0, 500],
    ['listrooms-20', '`/listrooms`, Webex 20 ms', '/listrooms', 20, 500],
    ['signin', 'Complete sign-in flow', '/login', 0, 150],
  ] as const
).map(([key, title, path, latencyMs, perSecond]) => {
  const servers: Name[] = key === 'home' && !AB ? ['service', 'floor', 'floor-headers'] : ['service', ref('floor')];
  return { key, title, path, latencyMs, perSecond, servers };
});
type Page = (typeof PAGES)[number];

const log = (line: string): void => void process.stdout.write(`${line}\n`);
const med = (s: Sample[], pick: (x: Sample) => number = (x) => x.value) => median(s.map(pick));
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
const marked = (values: number[], runs: Sample[][], digits = 2) =>
  values.map((v, i) => `${v.toFixed(digits)}${runs.some((s) => s[i].disturbed) ? '*' : ''}`).join(', ');

/** A figure whose comparison is service / reference, round by round (each round ran both). */
function ratioFigure(
  key: string,
  title: string,
  [service, reference]: Sample[][],
  [referenceName, show, maxRatio]: [Name, (s: Sample[]) => string, number],
  pick = (s: Sample) => s.value,
): Figure {
  const ratios = service.map((s, i) => pick(s) / pick(reference[i]));
  const ratio = median(ratios);
  return {
    key,
    title,
    service: show(service),
    reference: `${LABELS[referenceName]}: ${show(reference)}`,
    comparison: `${ratio.toFixed(2)}×`,
    rounds: marked(ratios, [service, reference]),
    ...(AB ? {} : { target: `≤ ${maxRatio}×`, met: ratio <= maxRatio }),
    values: { service: med(service, pick), reference: med(reference, pick), ratio },
  };
}

class Bench {
  private readonly children = new proc.Children(join(OUT, 'logs'));
  private readonly named = new Map<string, proc.Child>();
  private readonly meter = new CpuMeter(
    () => new Map([...this.named].filter(([, c]) => c.process.exitCode === null).map(([n, c]) => [n, c.pid])),
  );
  private readonly control = new Agent({ keepAlive: true });
  private readonly secret = randomBytes(24).toString('base64url');
  private readonly ports = {} as Record<Name, number>;
  private readonly cookies = {} as Record<Name, string>;
  /** Each page's body as the service (or, with --ab, the other build) first answered it. */
  private readonly bodies: Record<string, string> = {};
  private emulator = '';
  readonly figures: Figure[] = [];
  readonly diagnostics: string[] = [];
  /** The thread tables, shown before the diagnostics. */
  readonly threads: string[] = [];

  private origin(name: Name): string {
    return `http://127.0.0.1:${this.ports[name]}`;
  }

  private env(name: Name): Record<string, string> {
    const sessionSecret = randomBytes(48).toString('base64url');
    return serviceEnv({
      emulatorOrigin: this.emulator,
      serviceOrigin: this.origin(name),
      secret: this.secret,
      sessionSecret,
    });
  }

  /** Ports, the emulator (registered with every server's callback), the floors' configuration. */
  async prepare(): Promise<void> {
    for (const name of Object.keys(LABELS) as Name[]) this.ports[name] = await proc.freePort();
    const redirectUris = Object.keys(LABELS).map((name) => `${this.origin(name as Name)}/oauth`);
    const command = emulatorCommand({ port: await proc.freePort(), secret: this.secret, redirectUris });
    const emulator = this.children.spawn('emulator', command.args, {
      cwd: ROOT,
      cpus: LOADGEN_CPU,
      env: { NODE_ENV: 'production' },
    });
    this.named.set('emulator', emulator);
    this.emulator = (await proc.waitForOutput(emulator, command.ready))[1];
    const fields = await serviceFields(this.env('service'));
    for (const name of ['floor', 'floor-headers'] as const) {
      const config: FloorConfig = {
        ...fields,
        port: this.ports[name],
        webex: this.emulator,
        authorizeUrl: `${this.emulator}/v1/authorize`,
        clientId: CLIENT_ID,
        clientSecret: this.secret,
        redirectUri: `${this.origin(name)}/oauth`,
        views: join(ROOT, 'views'),
      };
      writeFileSync(join(OUT, `${name}.json`), JSON.stringify(config));
    }
  }

  /**
   * Starts `name` on the service's core with its checkout's start:prod flags; resolves with the ms
   * from spawn to the first 200 on GET /. `hook`: bench/service-hook.cjs's settings, for diagnostics only.
   */
  async start(name: Name, hook?: Record<string, string>): Promise<number> {
    const cwd = name === 'previous' ? (AB as string) : ROOT;
    const { flags: nodeFlags, entry } = productionCommand(cwd);
    const script = {
      service: [entry],
      previous: [entry],
      floor: [join(BUILD, 'floor.js'), join(OUT, 'floor.json')],
      'floor-headers': [join(BUILD, 'floor-headers.js'), join(OUT, 'floor-headers.json')],
      'empty-app': [join(OUT, 'empty-app', 'main.js')],
    }[name];
    const hookArgs = hook ? ['--expose-gc', '-r', join(ROOT, 'bench', 'service-hook.cjs')] : [];
    const env = ['service', 'previous', 'floor-headers'].includes(name)
      ? this.env(name)
      : { NODE_ENV: 'production', PORT: String(this.ports[name]), HOST: '127.0.0.1' };
    const since = performance.now();
    const child = this.children.spawn(name, [...nodeFlags, ...hookArgs, ...script], {
      cwd,
      cpus: SERVICE_CPU,
      env: { ...env, ...hook },
    });
    this.named.set(name, child);
    return round(await proc.waitForStatus(`${this.origin(name)}/`, child, since), 1);
  }

  async stop(name: Name): Promise<void> {
    const child = this.named.get(name);
    if (!child) return;
    this.meter.retire(name, child.pid);
    await this.children.stop(child);
    this.named.delete(name);
  }

  async stopAll(): Promise<void> {
    this.control.destroy();
    await this.children.stopAll();
  }

  private emulatorControl<T>(path: string, body?: unknown): Promise<T> {
    return requestJson<T>(`${this.emulator}/_emulator/${path}`, body ? 'POST' : 'GET', body, this.control);
  }

  private signInClient(name: Name): SignInClient {
    return new SignInClient(this.origin(name), `${this.emulator}/v1/authorize`, USER.displayName);
  }

  /** One sign-in (its cookie kept for the pages), or `count` of them, 32 browsers at a time. */
  private async signIn(name: Name, count = 1): Promise<void> {
    const client = this.signInClient(name);
    try {
      if (count === 1) this.cookies[name] = await client.signIn();
      else {
        const stats = await client.run(BROWSERS, { count });
        if (stats.flows !== count) throw new Error(`${name}: ${stats.flows}/${count} sign-ins (${stats.firstError})`);
      }
    } finally {
      client.close();
    }
  }

  /**
   * One measured run: waits (up to a minute) for a quiet machine, then records every process's
   * CPU during `fn`. A run that other people's work disturbed is done again once, then kept and marked.
   */
  private async measured<T>(label: string, fn: () => Promise<T>) {
    for (let attempt = 1; ; attempt++) {
      const quiet = await waitForQuiet(this.meter, MAX_FOREIGN_CORES, 60_000);
      const start = this.meter.sample();
      const value = await fn();
      const cpu = this.meter.use(start);
      const disturbed = !quiet.quiet || cpu.foreignCores >= MAX_FOREIGN_CORES;
      const cores = Object.entries(cpu.byProcess).map(([n, c]) => `${n} ${c}`);
      log(
        `  ${label}${attempt > 1 ? ' (again)' : ''}: ${JSON.stringify(value)} [foreign ${quiet.foreignCores}→${cpu.foreignCores} cores` +
          `${quiet.waitedMs > 0 ? `, waited ${Math.round(quiet.waitedMs / 1000)} s` : ''}; ${cores.join(', ')}]`,
      );
      if (!disturbed || attempt === 2) return { value, cpu, disturbed };
    }
  }

  /** `rounds` rounds of `run` on each server, the order turning each round so that drift falls on all alike. */
  private async rounds(names: Name[], rounds: number, run: (name: Name, label: string) => Promise<Sample>) {
    const samples = Object.fromEntries(names.map((name) => [name, [] as Sample[]])) as Record<Name, Sample[]>;
    for (let r = 0; r < rounds; r++)
      for (const name of names.map((_, i) => names[(i + r) % names.length]))
        samples[name].push(await run(name, `${name} #${r + 1}`));
    return samples;
  }

  /**
   * A fresh process of `name` for a page: started, signed in, its page checked against the
   * service's (the floors must send the same bytes), and warmed up unbounded; resolves with the
   * rate that warm-up reached.
   */
  private async ready(name: Name, page: Page, hook?: Record<string, string>): Promise<number> {
    await this.start(name, hook);
    await this.signIn(name);
    if (page.key !== 'signin') {
      const headers = page.path === '/' ? {} : { cookie: this.cookies[name] };
      const body = (await request(`${this.origin(name)}${page.path}`, { headers })).body;
      const owner = name === 'previous' ? `previous ${page.path}` : page.path;
      this.bodies[owner] ??= body;
      const expected = page.path === '/' ? 'Start OAuth flow' : `${USER.rooms} spaces`;
      if (!body.includes(expected)) throw new Error(`${name} ${page.path}: no "${expected}"`);
      sameBody(`${name} ${page.path}`, this.bodies[owner], body);
    }
    return (await this.drive(name, page, WARM_S)).rate;
  }

  /**
   * `seconds` of a page's load on one server, unbounded or at `perSecond`: autocannon with 50
   * connections, every answer the exact expected body, or 32 browsers signing in, every hop checked.
   */
  private async drive(name: Name, page: Page, seconds: number, perSecond?: number) {
    if (page.key === 'signin') {
      const client = this.signInClient(name);
      const until = { durationMs: seconds * 1000, perSecond };
      const flows = await client.run(BROWSERS, until).finally(() => client.close());
      if (flows.errors > 0) throw new Error(`${name} sign-in: ${flows.errors} failed (${flows.firstError})`);
      return { count: flows.flows, rate: flows.flowsPerSecond, p99Ms: flows.p99Ms };
    }
    const roomsCalls = async () =>
      (await this.emulatorControl<{ requests: { rooms: number } }>('stats')).requests.rooms;
    const before = await roomsCalls();
    const result = await cannon({
      url: `${this.origin(name)}${page.path}`,
      connections: CONNECTIONS,
      durationS: seconds,
      headers: page.path === '/' ? undefined : { cookie: this.cookies[name] },
      expectBody: this.bodies[name === 'previous' ? `previous ${page.path}` : page.path],
      perSecond,
    });
    const calls = (await roomsCalls()) - before;
    // Nothing is cached across page views: each /listrooms makes its own /rooms call.
    if (page.path === '/listrooms' && calls < result.total) throw new Error(`${result.total} pages, ${calls} calls`);
    return { count: result.total, rate: result.rps, p99Ms: result.p99Ms };
  }

  /** Spawn → first 200 of the production command, against the empty Nest app started the same way. */
  async coldStart(): Promise<void> {
    log(`cold start: spawn → first 200, ${COLD_STARTS} starts each (and one first to fill the compile cache)`);
    const pair: Name[] = ['service', ref('empty-app')];
    const once = async (name: Name) => {
      const ms = await this.start(name);
      await this.stop(name);
      return ms;
    };
    for (const name of pair) await once(name);
    const runs = await this.rounds(pair, COLD_STARTS, async (name, label) => {
      const { value, disturbed } = await this.measured(`cold start ${label}`, () => once(name));
      return { value, disturbed };
    });
    const show = (s: Sample[]) => `${med(s)} ms`;
    const figure = ratioFigure(
      'cold-start',
      'Cold start, spawn → first 200',
      [runs.service, runs[pair[1]]],
      [pair[1], show, 1.5],
    );
    if (!AB) Object.assign(figure, { target: '≤ 1.5× and < 500 ms', met: figure.met && figure.values.service < 500 });
    this.figures.push(figure);
  }

  /** The pages and the sign-in flow, each run on a fresh process. */
  async pages(): Promise<void> {
    for (const page of PAGES.filter(({ key }) => only.has(key.split('-')[0]))) {
      log(`${page.key}: ${page.servers.join(', ')}; ${DURATION_S} s a run at ${page.perSecond}/s`);
      await this.emulatorControl('latency', { ms: page.latencyMs, route: 'rooms' });
      const runs = await this.rounds(page.servers, ROUNDS, async (name, label) => {
        const max = await this.ready(name, page);
        const pid = (this.named.get(name) as proc.Child).pid;
        const threadsBefore = threadTicks(pid);
        const { value, cpu, disturbed } = await this.measured(`${page.key} ${label}`, () =>
          this.drive(name, page, DURATION_S, page.perSecond),
        );
        const threads = Object.fromEntries(
          Object.entries(threadSeconds(threadsBefore, threadTicks(pid))).map(([group, seconds]) => [
            group,
            round((seconds / value.count) * 1e6, 1),
          ]),
        );
        await this.stop(name);
        const cpuUs = ((cpu.secondsByProcess[name] ?? 0) / value.count) * 1e6;
        // A server that could not keep the rate was measured at full load: marked like a disturbed run.
        const kept = value.rate >= page.perSecond * 0.95;
        if (!kept) log(`  ${page.key} ${label}: ${value.rate}/s, not the ${page.perSecond}/s offered`);
        return {
          value: round(cpuUs, 1),
          disturbed: disturbed || !kept,
          p99Ms: value.p99Ms,
          rate: value.rate,
          max,
          threads,
        };
      });
      this.threadTable(page, runs);
      const [service, reference] = page.servers;
      const pair = [runs[service], runs[reference]];
      const unit = page.key === 'signin' ? 'flow' : 'request';
      const show = (s: Sample[]) =>
        `${Math.round(med(s))} µs CPU/${unit} at ${page.perSecond}/s (unbounded: ${Math.round(med(s, (x) => x.max ?? 0))}/s)`;
      this.figures.push(ratioFigure(page.key, `${page.title}, CPU`, pair, [reference, show, 1.15]));
      if (page.latencyMs > 0) {
        const p99 = (s: Sample[]) => `p99 ${med(s, (x) => x.p99Ms ?? 0)} ms at ${page.perSecond}/s`;
        const title = `${page.title}, p99`;
        this.figures.push(ratioFigure(`${page.key}-p99`, title, pair, [reference, p99, 1.15], (x) => x.p99Ms ?? 0));
      }
      if (page.servers.includes('floor-headers')) {
        const added = runs['floor-headers'].map((s, i) => s.value - runs.floor[i].value);
        this.figures.push({
          key: 'headers',
          title: 'Security headers + request line, CPU per `GET /`',
          service: `${LABELS['floor-headers']}: ${show(runs['floor-headers'])}`,
          reference: `floor: ${show(runs.floor)}`,
          comparison: `+${median(added).toFixed(1)} µs`,
          rounds: marked(added, [runs.floor, runs['floor-headers']], 1),
          target: '≤ +20 µs',
          met: median(added) <= 20,
          values: { added: median(added) },
        });
      }
    }
    await this.emulatorControl('latency', { ms: 0, route: 'rooms' });
  }

  /**
   * Each server's CPU per request by thread group (medians of the rounds): a profile sees only the
   * main thread, and the measured CPU is all of them.
   */
  private threadTable(page: Page, runs: Record<Name, Sample[]>): void {
    const groups = ['main thread', 'V8 workers (GC, compiler)', 'libuv thread pool', 'other threads'];
    const unit = page.key === 'signin' ? 'flow' : 'request';
    const rows = page.servers.map(
      (name) =>
        `| ${name} | ${groups.map((g) => med(runs[name], (s) => s.threads?.[g] ?? 0).toFixed(1)).join(' | ')} |`,
    );
    this.threads.push(
      `### CPU per ${unit} by thread under ${page.key} (µs, at ${page.perSecond}/s)`,
      [`| process | ${groups.join(' | ')} |`, `|---|${groups.map(() => '---:').join('|')}|`, ...rows].join('\n'),
    );
  }

  /** RSS of a fresh process after WARM_SESSIONS + SESSIONS sign-ins, service and floor alike. */
  async memory(): Promise<void> {
    log(`RSS after ${SESSIONS.toLocaleString('en')} signed-in sessions, a fresh process each run`);
    const pair: Name[] = ['service', ref('floor')];
    const runs = await this.rounds(pair, ROUNDS, async (name, label) => {
      const { value, disturbed } = await this.measured(`sessions ${label}`, async () => {
        await this.start(name);
        // The first sign-ins compile the sign-in path: the figure holds sessions, not code.
        await this.signIn(name, WARM_SESSIONS);
        await this.signIn(name, SESSIONS);
        const rss = await settledRss((this.named.get(name) as proc.Child).pid);
        await this.stop(name);
        return rss;
      });
      return { value, disturbed };
    });
    const title = `RSS after ${SESSIONS.toLocaleString('en')} signed-in sessions`;
    const show = (s: Sample[]) => mb(med(s));
    this.figures.push(ratioFigure('memory', title, [runs.service, runs[pair[1]]], [pair[1], show, 1.1]));
  }

  /** For each missed target (each one with --profile), where the service spends what its reference does not. */
  async diagnose(): Promise<void> {
    const missed = (key: string) =>
      this.figures.some((f) => f.key.startsWith(key) && (flags.profile || f.met === false));
    mkdirSync(join(OUT, 'profiles'), { recursive: true });
    if (missed('cold-start')) await this.profileStart();
    for (const page of PAGES) {
      if (missed(page.key)) await this.profileLoad(page, page.servers[0], page.servers[1]);
      // What the headers figure compares: the floor with and without them.
      if (page.key === 'home' && missed('headers')) await this.profileLoad(page, 'floor-headers', 'floor');
    }
    if (missed('memory')) await this.memoryAfterGc();
  }

  /** SIGWINCH to a process started with the hook (its profiler starts, or stops), then the file it answers with. */
  private async profileSignal(name: Name, file: string): Promise<void> {
    const child = this.named.get(name) as proc.Child;
    child.process.kill('SIGWINCH');
    await proc.waitForFile(file, child);
  }

  private async profileStart(): Promise<void> {
    log('diagnostic: CPU profile of a start, service and reference');
    const got: [ProfileSummary, number][] = [];
    for (const name of ['service', ref('empty-app')] as Name[]) {
      const file = join(OUT, 'profiles', `start-${name}.cpuprofile`);
      rmSync(file, { force: true });
      const ms = await this.start(name, { BENCH_PROFILE: file, BENCH_PROFILE_NOW: '1' });
      await this.profileSignal(name, file);
      await this.stop(name);
      got.push([summarizeProfile(file), ms]);
    }
    this.diagnostics.push(
      `### Where a start goes: CPU under each package's frames (one profiled start each: ${got[0][1]} and ${got[1][1]} ms)`,
      profileMarkdown(got[0][0], got[1][0], {
        per: [1000, 1000],
        unit: 'ms',
        reference: ref('empty-app'),
        under: true,
      }),
    );
  }

  private async profileLoad(page: Page, measured: Name, reference: Name): Promise<void> {
    log(`diagnostic: CPU profiles of ${measured} and ${reference} under ${page.key}`);
    await this.emulatorControl('latency', { ms: page.latencyMs, route: 'rooms' });
    const got: [ProfileSummary, number][] = [];
    for (const name of [measured, reference]) {
      const file = join(OUT, 'profiles', `${page.key}-${name}.cpuprofile`);
      for (const f of [file, `${file}.started`]) rmSync(f, { force: true });
      await this.ready(name, page, { BENCH_PROFILE: file });
      await this.profileSignal(name, `${file}.started`);
      const { count } = await this.drive(name, page, 5, page.perSecond);
      await this.profileSignal(name, file);
      await this.stop(name);
      got.push([summarizeProfile(file), count]);
    }
    await this.emulatorControl('latency', { ms: 0, route: 'rooms' });
    const unit = page.key === 'signin' ? 'flow' : 'request';
    const per = [got[0][1], got[1][1]] as [number, number];
    const options = { per, unit: `µs/${unit}`, measured, reference };
    this.diagnostics.push(
      `### Profile under ${page.key}: CPU per ${unit}, ${measured} and ${reference} (5 s each, profiled)`,
      profileMarkdown(got[0][0], got[1][0], options),
    );
  }

  private async memoryAfterGc(): Promise<void> {
    log('diagnostic: memory after a full GC, service and reference');
    const rows = [
      '| process | RSS | V8 heap used | heap B/session | external B/session | RSS B/session |',
      '|---|---:|---:|---:|---:|---:|',
    ];
    for (const name of ['service', ref('floor')] as Name[]) {
      const file = join(OUT, `memory-${name}.json`);
      await this.start(name, { BENCH_MEMORY: file });
      const child = this.named.get(name) as proc.Child;
      const read = async () => {
        rmSync(file, { force: true });
        child.process.kill('SIGURG');
        return JSON.parse(await proc.waitForFile(file, child)) as Record<'rss' | 'heapUsed' | 'external', number>;
      };
      await this.signIn(name, WARM_SESSIONS);
      const base = await read();
      await this.signIn(name, SESSIONS);
      const after = await read();
      const per = (field: keyof typeof after) => Math.round((after[field] - base[field]) / SESSIONS);
      rows.push(
        `| ${name} | ${mb(after.rss)} | ${mb(after.heapUsed)} | ${per('heapUsed')} | ${per('external')} | ${per('rss')} |`,
      );
      await this.stop(name);
    }
    const sessions = SESSIONS.toLocaleString('en');
    this.diagnostics.push(`### Memory after a full GC, ${sessions} sessions (bench/service-hook.cjs)`, rows.join('\n'));
  }
}

/**
 * What the service's layout reads from app locals (layoutFields in src/app.setup.ts), what its
 * sign-in asks for and its session settings, from its own code: a Nest application context (no
 * server) of AppModule in the bench's environment. The floor renders the same bytes from them.
 */
async function serviceFields(env: Record<string, string>) {
  Object.assign(process.env, env);
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(), { logger: false });
  try {
    const features = app.get(FeaturesService);
    const session = app.get<ConfigType<typeof sessionConfig>>(sessionConfig.KEY);
    return {
      locals: {
        sandbox: app.get<ConfigType<typeof sandboxConfig>>(sandboxConfig.KEY).enabled,
        features: features.forViews(),
        navigation: features.navigation(),
      },
      scopes: [...features.requestedScopes()],
      session: {
        cookieName: session.cookieName,
        secret: randomBytes(48).toString('base64url'),
        max: session.memoryMaxSessions,
        ttlSeconds: session.idleTimeoutSeconds,
      },
      pageSize: app.get<ConfigType<typeof webexConfig>>(webexConfig.KEY).pageSize,
    };
  } finally {
    await app.close();
  }
}

function sameBody(what: string, expected: string, got: string): void {
  if (expected === got) return;
  let at = 0;
  while (expected[at] === got[at]) at++;
  const around = (text: string) => JSON.stringify(text.slice(Math.max(0, at - 80), at + 80));
  throw new Error(`${what}: not the service's page from character ${at}:\n  ${around(expected)}\n  ${around(got)}`);
}

/** RSS once the process has been idle for a moment: the median of three samples over a second. */
async function settledRss(pid: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 3; i++) {
    await sleep(i === 0 ? 1500 : 500);
    samples.push(proc.rssBytes(pid));
  }
  return median(samples);
}

async function main(): Promise<void> {
  const started = new Date();
  const machine = machineInfo(); // before pinning: nproc counts only the CPUs this process may use
  const pinned = proc.pinSelf(LOADGEN_CPU);
  mkdirSync(OUT, { recursive: true });
  if (flags.build) {
    log('bench: npm run build, and the references (bench/tsconfig.build.json)');
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    const tsc = join(ROOT, 'node_modules', '.bin', 'tsc');
    execFileSync(tsc, ['-p', 'bench/tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
    // The cold-start reference is bundled by the service's own builder settings, as the service is.
    execFileSync(join(ROOT, 'node_modules', '.bin', 'nest'), ['build', '--config', 'bench/empty-app/nest-cli.json'], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  const bench = new Bench();
  let failure: string | undefined;
  try {
    await bench.prepare();
    if (only.has('cold-start')) await bench.coldStart();
    await bench.pages();
    if (only.has('memory')) await bench.memory();
    await bench.diagnose();
  } catch (error) {
    failure = (error as Error).stack ?? String(error);
    process.stderr.write(`bench failed: ${failure}\n`);
  } finally {
    await bench.stopAll();
  }

  const { flags: nodeFlags, entry } = productionCommand(ROOT);
  const setup =
    `${pinned ? `the measured process on CPU ${SERVICE_CPU}, the load generator and the emulator on CPU ${LOADGEN_CPU}` : 'nothing pinned (no taskset)'}; ` +
    `\`node ${nodeFlags.join(' ')} ${entry}\`${AB ? ` against ${AB}'s start:prod` : ', each reference with the same flags'}; ` +
    `${CONNECTIONS} connections, ${DURATION_S} s a run, ${ROUNDS} rounds (cold start ${COLD_STARTS}), a fresh process each run; ` +
    `* marks a round other work disturbed.`;
  const { figures } = bench;
  const diagnostics = [...bench.threads, ...bench.diagnostics];
  const results = { date: started.toISOString(), machine, setup, figures, diagnostics, failure };
  const stamp = started.toISOString().replace(/[:.]/g, '-');
  writeFileSync(join(OUT, `results-${stamp}.json`), JSON.stringify(results, null, 2));
  const options = await prettier.resolveConfig(join(ROOT, 'bench', 'RESULTS.md'));
  const format = (text: string) => prettier.format(text, { ...options, parser: 'markdown' });
  const file = join(OUT, `RESULTS.${AB ? 'ab' : 'quick'}.md`);
  writeFileSync(file, await format(renderResults(results)));
  if (!flags.quick && !AB && !failure && only.size === FIGURES.length) {
    const resultsFile = join(ROOT, 'bench', 'RESULTS.md');
    writeFileSync(resultsFile, await format(withBlock(readFileSync(resultsFile, 'utf8'), renderResults(results))));
    log(`bench: figures written to bench/RESULTS.md (raw data: bench/out/results-${stamp}.json)`);
  } else log(`bench: ${failure ? 'failed; ' : ''}see ${file}; bench/RESULTS.md left alone`);
  if (failure) process.exitCode = 1;
}

void main();
