import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import Redis from 'ioredis';
import { freePort } from './app';

/** The Redis the Redis suites share: REDIS_URL, as for the service, or the local default. */
export const TEST_REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

const HOW_TO_RUN_WITH_REDIS =
  "To run them: start a Redis (redis-server --port 6379 --save '' --appendonly no) " +
  'or point REDIS_URL at one, e.g. REDIS_URL=redis://127.0.0.1:6380 npx jest --selectProjects e2e';

const HOW_TO_RUN_WITH_REDIS_SERVER =
  'To run them: install Redis so that redis-server is on PATH (apt-get install redis-server, brew install redis)';

/** The URL without its password, for messages. */
function redacted(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(an unreadable REDIS_URL)';
  }
}

// Jest collects tests synchronously, so whether Redis answers is asked of a short-lived child process.
const PROBE = `
const Redis = require(process.argv[1]);
const client = new Redis(process.argv[2], { lazyConnect: true, connectTimeout: 1500, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
client.on('error', () => undefined);
client.connect().then(() => client.ping()).then(() => { client.disconnect(); process.exit(0); }, () => { client.disconnect(); process.exit(1); });
`;

/** Whether a PING to `url` gets an answer (blocking, at most a few seconds). */
export function redisAnswersSync(url: string): boolean {
  try {
    execFileSync(process.execPath, ['-e', PROBE, require.resolve('ioredis'), url], { stdio: 'ignore', timeout: 4000 });
    return true;
  } catch {
    return false;
  }
}

function redisServerInstalled(): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore', timeout: 4000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * A `describe` for suites that need something outside the process. When it is missing, the
 * suite fails in CI (CI=true), where it must run, and is skipped loudly on a developer's machine.
 */
function describeWhen(missing: () => string | undefined, howTo: string): (name: string, suite: () => void) => void {
  return (name, suite) => {
    const problem = missing();
    if (problem === undefined) {
      describe(name, suite);
    } else if (process.env.CI === 'true') {
      describe(name, () => {
        it('has what it needs to run', () => {
          throw new Error(`${problem}, and CI=true: these tests must run in CI. ${howTo}`);
        });
      });
    } else {
      // Straight to stderr: Jest does not show the console of a file whose tests were all skipped.
      process.stderr.write(
        `\n⚠ SKIPPED "${name}": ${problem}.\n  ${howTo}\n  (With CI=true these tests fail instead.)\n\n`,
      );
      describe.skip(name, suite);
    }
  };
}

/** For suites that use the Redis at REDIS_URL (default redis://127.0.0.1:6379). */
export const describeWithRedis = describeWhen(
  () => (redisAnswersSync(TEST_REDIS_URL) ? undefined : `Redis at ${redacted(TEST_REDIS_URL)} is not reachable`),
  HOW_TO_RUN_WITH_REDIS,
);

/** For suites that start (and stop) a redis-server of their own. */
export const describeWithRedisServer = describeWhen(
  () => (redisServerInstalled() ? undefined : 'redis-server is not installed'),
  HOW_TO_RUN_WITH_REDIS_SERVER,
);

/**
 * A key prefix no other run shares, so suites can run next to each other and next to people
 * using the same Redis, and clean up after themselves with `deleteKeys`.
 */
export function uniqueKeyPrefix(suite: string): string {
  return `e2e-${suite}-${process.pid}-${randomBytes(4).toString('hex')}:`;
}

/** A client for a suite's own checks (never the service's client). */
export function connectRedis(url = TEST_REDIS_URL): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 2000 });
  client.on('error', () => undefined);
  return client;
}

/** Every key under `prefix` (SCAN, never KEYS: the Redis may be shared). */
export async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return [...new Set(keys)];
}

/** Deletes every key under `prefix`; returns how many there were. */
export async function deleteKeys(redis: Redis, prefix: string): Promise<number> {
  const keys = await keysUnder(redis, prefix);
  for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
  return keys.length;
}

/** One PING over a fresh socket: true when the server answers +PONG within `ms`. */
function pingPort(port: number, ms = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(ms, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      answer += chunk.toString();
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
  });
}

/**
 * A redis-server child process of a suite's own, on a free port, without persistence: a
 * suite may stop and restart it at will without touching the Redis others use.
 */
export class PrivateRedisServer {
  private child?: ChildProcess;
  private output = '';
  private readonly killOnExit = () => this.child?.kill('SIGKILL');

  private constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedisServer> {
    const server = new PrivateRedisServer(await freePort());
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts redis-server on this server's port (again, after `stop`) and waits until it answers. */
  async start(timeoutMs = 5000): Promise<void> {
    if (this.running) return;
    this.output = '';
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmpdir()],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const keep = (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-4000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.child = child;
    process.once('exit', this.killOnExit);
    const deadline = Date.now() + timeoutMs;
    while (!(await pingPort(this.port))) {
      if (!this.running || Date.now() > deadline) {
        await this.stop();
        throw new Error(`redis-server on port ${this.port} did not start:\n${this.output}`);
      }
      await sleep(50);
    }
  }

  /** Stops the server as an outage would (SIGTERM; nothing is saved) and waits for it to exit. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    process.off('exit', this.killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }
}
