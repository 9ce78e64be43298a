/**
 * CPU cost of one Webex call made by WebexApiService, on the client side only.
 *
 *   npx ts-node --transpile-only bench/webex-client.ts [--calls 5000] [--concurrency 20] [--runs 3]
 *
 * The emulator runs as a child pinned to CPU 1 and this process to CPU 0, so its CPU is not
 * counted: the figure is process.cpuUsage() of this process over the measured calls, divided by
 * the number of calls. On a shared machine that figure is steadier than calls/s, which is printed
 * too. The service is built the way src/webex/webex-api.service.spec.ts builds it.
 *
 * ts-node loads node:domain, which adds a little to every event emit; a built service does not
 * pay it, so the absolute figures run a bit high. Compare runs of this script with each other.
 */
import { Test } from '@nestjs/testing';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { configModule } from '../src/config';
import { WebexApiService, WebexModule, webexCalls } from '../src/webex';
import { request } from './lib/http';
import { Children, pinSelf, waitForOutput } from './lib/processes';
import { median } from './lib/report';

const HANDLE = 'alice';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '20' },
    runs: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '5000' },
  },
});
const CALLS = Number(values.calls);
const CONCURRENCY = Number(values.concurrency);
const RUNS = Number(values.runs);
const WARMUP = Number(values.warmup);

interface Run {
  cpuUsPerCall: number;
  callsPerSecond: number;
  connections: number;
}

async function postJson(url: string, body: unknown): Promise<unknown> {
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 200) throw new Error(`POST ${url} → ${res.status}: ${res.body}`);
  return JSON.parse(res.body) as unknown;
}

/** `calls` listRooms, `concurrency` at a time; each answer is checked so a broken client cannot look fast. */
async function drive(service: WebexApiService, token: string, calls: number, expectedRooms: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < calls) {
      next++;
      const { items: rooms } = await service.list(webexCalls.rooms, token, { query: { sortBy: 'lastactivity' } });
      if (rooms.length !== expectedRooms) throw new Error(`listRooms gave ${rooms.length} rooms, not ${expectedRooms}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

async function main(): Promise<void> {
  const pinned = pinSelf('0');
  const children = new Children(join(__dirname, 'out', 'logs'));
  const emulatorProcess = children.spawn(
    'webex-client-emulator',
    process.execPath,
    [
      '-r',
      'ts-node/register/transpile-only',
      join(__dirname, '..', 'src', 'sandbox', 'cli.ts'),
      '--port',
      '0',
      '--test-controls',
    ],
    { cpus: '1', cwd: join(__dirname, '..') },
  );
  let close: (() => Promise<void>) | undefined;
  try {
    // The emulator prints the service's settings for its default (public) sandbox client.
    await waitForOutput(emulatorProcess, /^WEBEX_API_BASE_URL=\S+$/m, 30_000);
    const printed = (name: string): string => new RegExp(`^${name}=(\\S+)$`, 'm').exec(emulatorProcess.output)![1];
    const apiBaseUrl = printed('WEBEX_API_BASE_URL');
    const authInitUrl = new URL(printed('AUTH_INIT_URL'));
    const origin = new URL(apiBaseUrl).origin;
    process.env = {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      AUTH_INIT_URL: authInitUrl.href,
      CLIENT_SECRET: printed('CLIENT_SECRET'),
      WEBEX_API_BASE_URL: apiBaseUrl,
    };
    const moduleRef = await Test.createTestingModule({ imports: [configModule(), WebexModule] }).compile();
    await moduleRef.init();
    close = () => moduleRef.close();
    const service = moduleRef.get(WebexApiService);

    // The spec's sign-in: the emulator issues the seeded user's tokens directly.
    const { access_token: token } = (await postJson(`${origin}/_emulator/tokens`, {
      handle: HANDLE,
      clientId: authInitUrl.searchParams.get('client_id'),
    })) as { access_token: string };
    const expectedRooms = (await service.list(webexCalls.rooms, token)).items.length;

    await drive(service, token, WARMUP, expectedRooms);

    const runs: Run[] = [];
    for (let run = 1; run <= RUNS; run++) {
      await postJson(`${origin}/_emulator/reset`, {});
      global.gc?.();
      const cpu = process.cpuUsage();
      const started = process.hrtime.bigint();
      await drive(service, token, CALLS, expectedRooms);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const used = process.cpuUsage(cpu);
      const stats = (await request(`${origin}/_emulator/stats`)).body;
      const result: Run = {
        cpuUsPerCall: (used.user + used.system) / CALLS,
        callsPerSecond: CALLS / seconds,
        connections: (JSON.parse(stats) as { connections: number }).connections,
      };
      runs.push(result);
      console.log(
        `run ${run}: ${result.cpuUsPerCall.toFixed(1)} µs CPU/call, ${result.callsPerSecond.toFixed(0)} calls/s, ` +
          `${result.connections} new connection(s)`,
      );
    }
    console.log(
      `median of ${RUNS}: ${median(runs.map((r) => r.cpuUsPerCall)).toFixed(1)} µs CPU/call, ` +
        `${median(runs.map((r) => r.callsPerSecond)).toFixed(0)} calls/s ` +
        `(${CALLS} listRooms of ${expectedRooms} rooms, concurrency ${CONCURRENCY}, pinned: ${pinned ? 'yes' : 'no'})`,
    );
  } finally {
    await close?.();
    await children.stopAll();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
