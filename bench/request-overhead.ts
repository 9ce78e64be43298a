/**
 * `npm run bench:overhead`: the CPU that the security headers and the request line add to a request,
 * with the service's own code for both, mounted as the service mounts it:
 *
 *   nest:    Nest on Express (APP_OPTIONS) sending the same small page from a controller.
 *   headers: + securityHeaders() through app.useSecurityHeaders() and hstsOverTls (src/app.setup.ts).
 *   line:    + LoggingModule and its request id and request line (useRequestLog) at the default
 *            LOG_LEVEL, JSON, to standard output through pino's asynchronous destination, as in
 *            production; standard output is /dev/null here.
 *
 * The three servers run side by side on CPU 0, the load (autocannon, 50 connections) from this
 * process on CPU 1, one server at a time in `--seconds` slices, the order rotating each round. A
 * figure is the server's CPU time (user + system, /proc) over a slice divided by the answers;
 * the medians of `--rounds` and the medians of the per-round differences are printed.
 *
 *   npm run bench:overhead -- [--rounds 7] [--seconds 4]
 */
import 'reflect-metadata';
import { Controller, Get, Module, Res } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Response } from 'express';
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { APP_OPTIONS, hstsOverTls, securityHeaders } from '../src/app.setup';
import { configModule } from '../src/config';
import { LoggingModule, useRequestLog } from '../src/logging';
import { CpuMeter, waitForQuiet } from './lib/cpu';
import { request } from './lib/http';
import { cannon, problemsOf } from './lib/load';
import { freePort, pinSelf, taskset } from './lib/processes';
import { median } from './lib/report';

const LAYERS = ['nest', 'headers', 'line'] as const;
type Layer = (typeof LAYERS)[number];

const BODY = `<!doctype html><html lang="en"><head><title>Home</title></head><body>${'<p>Sign in with Webex.</p>'.repeat(60)}</body></html>`;

async function serve(layer: Layer, port: number): Promise<void> {
  @Controller()
  class PageController {
    @Get()
    page(@Res() res: Response): void {
      res.set({ 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(BODY);
    }
  }

  @Module({ imports: [configModule(), ...(layer === 'line' ? [LoggingModule] : [])], controllers: [PageController] })
  class BenchModule {}

  const app = await NestFactory.create<NestExpressApplication>(BenchModule, { ...APP_OPTIONS, logger: false });
  app.set('etag', false);
  app.disable('x-powered-by');
  if (layer === 'line') useRequestLog(app);
  if (layer !== 'nest') {
    app.useSecurityHeaders(securityHeaders(false, 'http://127.0.0.1:1'));
    app.use(hstsOverTls);
  }
  await app.listen(port, '127.0.0.1');
  // An exit, not a kill: `node --cpu-prof` writes its profile then.
  process.once('SIGTERM', () => process.exit(0));
}

interface Server {
  layer: Layer;
  url: string;
  child: ChildProcess;
}

async function start(layer: Layer): Promise<Server> {
  const port = await freePort();
  const pin = taskset();
  const node = [process.execPath, '-r', './bench/lib/transpile.cjs', __filename, 'serve', layer, String(port)];
  const [file, ...args] = pin ? [pin, '-c', '0', ...node] : node;
  const child = spawn(file, args, {
    cwd: `${__dirname}/..`,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      NODE_ENV: 'production',
      AUTH_INIT_URL: `http://127.0.0.1:1/v1/authorize?client_id=bench&response_type=code&redirect_uri=${encodeURIComponent(`http://127.0.0.1:${port}/oauth`)}&scope=spark%3Apeople_read`,
      CLIENT_SECRET: 'bench-secret',
      SESSION_SECRET: 'bench-session-secret-bench-session-secret',
      SESSION_STORE: 'memory',
    },
    stdio: ['ignore', openSync('/dev/null', 'w'), 'inherit'],
  });
  const url = `http://127.0.0.1:${port}/`;
  for (let tries = 0; ; tries++) {
    try {
      if ((await request(url, { timeoutMs: 1000 })).status === 200) return { layer, url, child };
    } catch {
      if (tries > 300 || child.exitCode !== null) throw new Error(`${layer} server did not start`);
      await sleep(100);
    }
  }
}

/** Other people's work on this shared machine above this (in cores) during a slice: the slice is done again once. */
const MAX_FOREIGN_CORES = 0.3;

/** CPU µs per answer of one server over one slice of load, once the machine is quiet (see bench/lib/cpu.ts). */
async function cpuPerRequest(meter: CpuMeter, server: Server, seconds: number): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    await waitForQuiet(meter, MAX_FOREIGN_CORES, 30_000);
    const start = meter.sample();
    const result = await cannon({ url: server.url, connections: 50, durationS: seconds, expectBody: BODY });
    const cpu = meter.use(start);
    const problems = problemsOf(result);
    if (problems) throw new Error(`${server.layer}: ${problems}`);
    if (cpu.foreignCores < MAX_FOREIGN_CORES || attempt === 2) {
      if (cpu.foreignCores >= MAX_FOREIGN_CORES) disturbed++;
      return ((cpu.secondsByProcess[server.layer] ?? NaN) * 1e6) / result.total;
    }
  }
}

let disturbed = 0;

async function drive(rounds: number, seconds: number): Promise<void> {
  const pinned = pinSelf('1');
  const servers: Server[] = [];
  try {
    for (const layer of LAYERS) servers.push(await start(layer));
    for (const server of servers) await cannon({ url: server.url, connections: 50, durationS: 3 });
    const meter = new CpuMeter(() => new Map(servers.map((server) => [server.layer, server.child.pid as number])));
    const us: Record<Layer, number[]> = { nest: [], headers: [], line: [] };
    for (let round = 0; round < rounds; round++) {
      const order = servers.map((_, i) => servers[(i + round) % servers.length]);
      for (const server of order) us[server.layer].push(await cpuPerRequest(meter, server, seconds));
      process.stdout.write(
        `round ${round + 1}: ${LAYERS.map((l) => `${l} ${us[l][round].toFixed(1)}`).join(', ')} µs\n`,
      );
    }
    const fmt = (values: number[]) =>
      `${median(values).toFixed(1)} µs (${Math.min(...values).toFixed(1)}–${Math.max(...values).toFixed(1)})`;
    const diff = (a: Layer, b: Layer) => us[b].map((v, i) => v - us[a][i]);
    process.stdout.write(
      `\n${rounds} rounds of ${seconds} s, pinned: ${pinned}, slices disturbed by other work: ${disturbed}\n` +
        LAYERS.map((l) => `${l}: ${fmt(us[l])}\n`).join('') +
        `headers − nest: ${fmt(diff('nest', 'headers'))}\n` +
        `line − headers: ${fmt(diff('headers', 'line'))}\n` +
        `line − nest: ${fmt(diff('nest', 'line'))}\n`,
    );
  } finally {
    for (const server of servers) server.child.kill();
  }
}

const [mode, layer, port] = process.argv.slice(2);
if (mode === 'serve') {
  void serve(layer as Layer, Number(port));
} else {
  const { values } = parseArgs({
    options: { rounds: { type: 'string', default: '7' }, seconds: { type: 'string', default: '4' } },
  });
  void drive(Number(values.rounds), Number(values.seconds));
}
