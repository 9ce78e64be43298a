import type { LoggerService } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import type { Server } from 'node:http';
import { createServer } from 'node:net';
import request from 'supertest';
import { AppModule } from '../../src/app.module';
import { configureApp } from '../../src/app.setup';
import type { WebexEmulator } from '../../src/sandbox';
import { E2E_CLIENT, portalAuthorizeUrl } from './emulator';

/** Every variable the service reads; each boot starts from none of them, so suites cannot leak into each other. */
const SERVICE_ENV = [
  'AUTH_INIT_URL',
  'CLIENT_SECRET',
  'SESSION_SECRET',
  'WEBEX_API_BASE_URL',
  'WEBEX_TIMEOUT_MS',
  'ROOMS_PAGE_SIZE',
  'ROOMS_LIMIT',
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
] as const;

/**
 * Set for every app unless a suite overrides it. A suite signs in far more often than a person
 * would, from one address, so the per-client sign-in rate limit is off (0).
 */
const TEST_DEFAULTS: EnvOverrides = { LOGIN_RATE_LIMIT: '0' };

export const E2E_SESSION_SECRET = 'e2e-session-secret-0123456789-abcdefghijklmnop';

/** Keeps what the service logs, so suites can check that no secret ever reaches the log. */
export class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];

  log(message: unknown, ...rest: unknown[]): void {
    this.push('log', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.push('error', message, rest);
    if (process.env.E2E_SHOW_ERRORS) process.stderr.write(`${[message, ...rest].map(String).join(' ')}\n`);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.push('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.push('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.push('verbose', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.push('fatal', message, rest);
  }

  private push(level: string, message: unknown, rest: unknown[]): void {
    const text = [message, ...rest].map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join(' ');
    this.lines.push(`${level} ${text}`);
  }
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
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
    .setLogger(logger)
    .compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({ logger });
  configureApp(app);
  await app.init();
  if (options.listenPort !== undefined) await app.listen(options.listenPort, '127.0.0.1');
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
      await app.close();
    },
  };
}

/** A port that was free a moment ago (listen on 0, read it, close). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
