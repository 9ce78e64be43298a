import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { randomInt } from 'node:crypto';
import type { Server } from 'node:http';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import request from 'supertest';
import { AppModule } from '../../src/app.module';
import { APP_OPTIONS, configureApp } from '../../src/app.setup';
import { LOG_OUTPUT, useAppLogger } from '../../src/logging';
import type { WebexEmulator } from '../../src/sandbox';
import { E2E_CLIENT, portalAuthorizeUrl } from './emulator';

/** Every variable the service reads; each boot starts from none of them, so suites cannot leak into each other. */
const SERVICE_ENV = [
  'AUTH_INIT_URL',
  'CLIENT_SECRET',
  'SESSION_SECRET',
  'WEBEX_API_BASE_URL',
  'WEBEX_OIDC_ISSUERS',
  'WEBEX_TIMEOUT_MS',
  'WEBEX_PAGE_SIZE',
  'WEBEX_LIST_LIMIT',
  'LOGIN_STATE_TTL',
  'PORT',
  'HOST',
  'SANDBOX_PORT',
  'STATE',
  'DEBUG',
  'LOG_LEVEL',
  'SESSION_IDLE_TIMEOUT',
  'SESSION_ABSOLUTE_TIMEOUT',
  'SESSION_MEMORY_MAX',
  'SESSION_PREVIOUS_SECRETS',
  'SESSION_STORE',
  'REDIS_URL',
  'REDIS_KEY_PREFIX',
  'TOKEN_ENCRYPTION_KEYS',
  'TRUST_PROXY',
  'LOG_FORMAT',
  'SHUTDOWN_GRACE_MS',
  'LOGIN_RATE_LIMIT',
  'WEBEX_CONNECT_TIMEOUT_MS',
  'WEBEX_RETRIES',
  'WEBEX_RETRY_AFTER_MAX_WAIT_MS',
  'API_CORS_ORIGINS',
  'METRICS_PORT',
  'REDIS_SENTINELS',
  'REDIS_SENTINEL_MASTER',
  'REDIS_CLUSTER_NODES',
  // The proxy the calls to Webex go through (undici reads both spellings): a developer's shell
  // may name one, which must not carry a suite's calls to its emulator on loopback.
  'HTTP_PROXY',
  'http_proxy',
  'HTTPS_PROXY',
  'https_proxy',
  'NO_PROXY',
  'no_proxy',
] as const;

/**
 * Set for every app unless a suite overrides it. A suite signs in far more often than a person
 * would, from one address, so the per-client sign-in rate limit is off (0).
 */
/**
 * nestjs-pino keeps the logger for lines outside a request in a module variable, made by the first
 * app of the file. Its reset for tests is not in the package's exports map (5.x), so it is loaded
 * from the same file the package's entry loads, which Jest's module registry shares.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { __resetOutOfContextForTests } = require(join(dirname(require.resolve('nestjs-pino')), 'PinoLogger.js')) as {
  __resetOutOfContextForTests: () => void;
};

const TEST_DEFAULTS: EnvOverrides = { LOGIN_RATE_LIMIT: '0' };

export const E2E_SESSION_SECRET = 'e2e-session-secret-0123456789-abcdefghijklmnop';

const ANSI_ESCAPE = new RegExp(String.raw`\u001b\[[0-9;]*m`, 'g');

/** Error lines, in either log format: shown with E2E_SHOW_ERRORS=1 while a suite swallows the rest. */
const ERROR_LINE = /"level":"?(error|fatal|50|60)\b|\b(ERROR|FATAL)\b/;

/**
 * Keeps everything written to process.stdout and process.stderr while the app runs (pino's
 * lines, Nest's, anything else), so suites can check that no secret ever reaches the log.
 * Lines are kept without colour codes. E2E_SHOW_LOGS=1 also lets them through to the terminal.
 */
export class CapturingLogger {
  readonly lines: string[] = [];
  private partial = '';

  /** Everything captured, as one text (a line still being written included). */
  get text(): string {
    return [...this.lines, this.partial].join('\n');
  }

  take(chunk: string): void {
    const parts = (this.partial + chunk.replace(ANSI_ESCAPE, '')).split('\n');
    this.partial = parts.pop() ?? '';
    this.lines.push(...parts);
  }
}

/** One patch of the two streams, shared by every app a suite has running, undone when the last one closes. */
const capturing = new Set<CapturingLogger>();
let restoreStreams: (() => void) | undefined;

function startCapture(capture: CapturingLogger): void {
  capturing.add(capture);
  if (restoreStreams) return;
  const streams = [process.stdout, process.stderr] as const;
  const originals = streams.map((stream) => stream.write);
  streams.forEach((stream, index) => {
    const original = originals[index];
    stream.write = (...args: unknown[]): boolean => {
      const [chunk, encodingOrCallback, callback] = args;
      const encoding = typeof encodingOrCallback === 'string' ? (encodingOrCallback as BufferEncoding) : undefined;
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString(encoding);
      for (const capture of capturing) capture.take(text);
      if (process.env.E2E_SHOW_LOGS || (process.env.E2E_SHOW_ERRORS && ERROR_LINE.test(text))) {
        return (original as (...a: unknown[]) => boolean).apply(stream, args);
      }
      const done = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
      if (typeof done === 'function') process.nextTick(done);
      return true;
    };
  });
  restoreStreams = () => streams.forEach((stream, index) => (stream.write = originals[index]));
}

function stopCapture(capture: CapturingLogger): void {
  capturing.delete(capture);
  if (capturing.size > 0 || !restoreStreams) return;
  restoreStreams();
  restoreStreams = undefined;
}

export interface BootedApp {
  app: NestExpressApplication;
  server: Server;
  logger: CapturingLogger;
  /** A browser: a supertest agent that keeps the session cookie. */
  agent(): request.Agent;
  /** A client without a cookie jar. */
  request(): request.Agent;
  close(): Promise<void>;
}

export type EnvOverrides = Record<string, string | undefined>;

export interface BootOptions {
  /** Listen on this port (127.0.0.1) instead of letting supertest pick one per request. */
  listenPort?: number;
}

/** The environment for an app wired to `emulator` as a real Webex integration; `undefined` values unset a variable. */
export function webexEnv(emulator: WebexEmulator, overrides: EnvOverrides = {}): EnvOverrides {
  return {
    AUTH_INIT_URL: portalAuthorizeUrl(emulator),
    CLIENT_SECRET: E2E_CLIENT.clientSecret,
    SESSION_SECRET: E2E_SESSION_SECRET,
    ...overrides,
  };
}

/**
 * Builds the app exactly as main.ts does (AppModule, configureApp, init). Config is read when
 * the module is compiled, so the environment is set first. With an emulator the app talks to
 * it as to Webex; without one (emulator = undefined) `env` alone decides, e.g. sandbox mode.
 */
export async function bootApp(
  emulator: WebexEmulator | undefined,
  env: EnvOverrides = {},
  options: BootOptions = {},
): Promise<BootedApp> {
  for (const name of SERVICE_ENV) delete process.env[name];
  process.env.NODE_ENV = 'test';
  const wanted = { ...TEST_DEFAULTS, ...(emulator ? webexEnv(emulator, env) : env) };
  for (const [name, value] of Object.entries(wanted)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }

  const logger = new CapturingLogger();
  startCapture(logger);
  // Each app gets its own root logger, with its own level and format, as in production.
  __resetOutOfContextForTests();
  let app: NestExpressApplication;
  try {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot()] })
      // Lines go through process.stdout.write (synchronously), where the capture reads them.
      .overrideProvider(LOG_OUTPUT)
      .useValue({ write: (line: string) => process.stdout.write(line) })
      .compile();
    app = moduleRef.createNestApplication<NestExpressApplication>(APP_OPTIONS);
    // As main.ts: every Nest Logger line goes through pino, which writes to process.stdout.
    useAppLogger(app);
    configureApp(app);
    await app.init();
    if (options.listenPort !== undefined) await app.listen(options.listenPort, '127.0.0.1');
  } catch (error) {
    stopCapture(logger);
    throw error;
  }
  const server = app.getHttpServer();

  let closed = false;
  return {
    app,
    server,
    logger,
    agent: () => request.agent(server),
    request: () => request(server),
    close: async () => {
      if (closed) return;
      closed = true;
      try {
        await app.close();
      } finally {
        stopCapture(logger);
      }
    },
  };
}

/** Ports freePort has handed out in this process: never twice. */
const handedOut = new Set<number>();

/**
 * A port that was free a moment ago, for a server that listens on it next. Drawn below the range
 * the system gives outgoing connections their ports from (32768–60999 on Linux, 49152–65535 on
 * macOS and Windows): a busy machine churns through that range, and once took a port between this
 * check and the listen of a service started as a process of its own.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = randomInt(20_000, 32_768);
    if (!handedOut.has(port) && (await canListen(port))) {
      handedOut.add(port);
      return port;
    }
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
