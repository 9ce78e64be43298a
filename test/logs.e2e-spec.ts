import { HttpService } from '@nestjs/axios';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FaultSpec, WebexEmulator } from '../src/sandbox';
import { E2E_SESSION_SECRET, bootApp, type BootedApp, type CapturingLogger } from './support/app';
import { E2E_CLIENT, startTestEmulator } from './support/emulator';
import { callbackPath, consent, followCallback, signedIn, startLogin } from './support/flow';
import { TRACKING_ID, h1Of, textOf } from './support/html';

const ERROR = 'Webex Integration example: Error';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const COOKIE = 'wxo.sid';

type Fault = Omit<FaultSpec, 'route'>;

const UPSTREAM_FAULTS: [string, Fault][] = [
  ['500', { kind: 'status', status: 500 }],
  ['429', { kind: 'rate-limit', retryAfterSeconds: 3 }],
  ['a non-JSON body', { kind: 'non-json' }],
  ['a reset connection', { kind: 'reset' }],
];
const ROOMS_FAULTS: [string, Fault][] = [['403', { kind: 'status', status: 403 }], ...UPSTREAM_FAULTS];

/**
 * Every credential the service handled, seen on the wire: codes and states in the URLs it was
 * sent, session cookies both ways, and what it sent to and got from Webex (verifier, secret,
 * tokens). The kind is kept so a failure says what leaked, not the value.
 */
class Handled {
  private readonly values = new Map<string, string>();

  add(kind: string, value: unknown): void {
    // Shorter values could turn up by chance; every real credential here is much longer.
    if (typeof value !== 'string' || value.length < 8) return;
    this.values.set(value, kind);
    const encoded = encodeURIComponent(value);
    if (encoded !== value) this.values.set(encoded, kind);
  }

  addCookie(value: string): void {
    const signed = decodeURIComponent(value);
    this.add('signed session cookie', value);
    this.add('signed session cookie', signed);
    const match = /^s:(.+)\.([^.]+)$/.exec(signed);
    if (match) {
      this.add('session id', match[1]);
      this.add('session cookie signature', match[2]);
    }
  }

  kinds(): Set<string> {
    return new Set(this.values.values());
  }

  count(kind: string): number {
    return [...this.values.values()].filter((k) => k === kind).length;
  }

  /** What of it appears in `text`, as "kind (first characters…)". */
  foundIn(text: string): string[] {
    return [...this.values]
      .filter(([value]) => text.includes(value))
      .map(([value, kind]) => `${kind} (${value.slice(0, 4)}…)`);
  }
}

function cookieValues(header: string | string[] | number | undefined): string[] {
  const parts = Array.isArray(header)
    ? header
    : typeof header === 'string'
      ? header.split(/;\s*|,\s*(?=[\w.-]+=)/)
      : [];
  return parts
    .map((part) => /^\s*([^=;\s]+)=([^;]*)/.exec(part))
    .filter((m): m is RegExpExecArray => m !== null && m[1] === COOKIE)
    .map((m) => m[2]);
}

/** Watches the app's side of the browser conversation: the callback query and the session cookie. */
function tapBrowserSide(booted: BootedApp, handled: Handled): void {
  booted.server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://app.invalid');
    for (const name of ['code', 'state']) for (const value of url.searchParams.getAll(name)) handled.add(name, value);
    for (const value of cookieValues(req.headers.cookie)) handled.addCookie(value);
    res.once('finish', () => {
      for (const value of cookieValues(res.getHeader('set-cookie'))) handled.addCookie(value);
    });
  });
}

/** Watches the app's calls to Webex: the token request bodies, the bearer tokens, the token answers. */
function tapWebexSide(booted: BootedApp, handled: Handled): void {
  const axios = booted.app.get(HttpService).axiosRef;
  axios.interceptors.request.use((config) => {
    if (typeof config.data === 'string') {
      for (const [name, value] of new URLSearchParams(config.data)) {
        if (!['grant_type', 'client_id', 'redirect_uri'].includes(name)) handled.add(name, value);
      }
    }
    const authorization = config.headers?.get?.('authorization');
    if (typeof authorization === 'string') handled.add('access_token', authorization.replace(/^Bearer\s+/i, ''));
    return config;
  });
  axios.interceptors.response.use((response) => {
    try {
      const body = JSON.parse(String(response.data)) as Record<string, unknown>;
      handled.add('access_token', body.access_token);
      handled.add('refresh_token', body.refresh_token);
    } catch {
      // Not JSON (an injected fault): nothing to collect.
    }
    return response;
  });
}

const forged = (what: string) => `forged-${what}-${randomBytes(18).toString('base64url')}`;

/** Walks every path the service logs on: sign-in, spaces, refreshes, every failure, log out. */
async function walkEverything(booted: BootedApp, emulator: WebexEmulator): Promise<void> {
  const { controls } = emulator;

  // Signed in with a short-lived access token and rotating refresh tokens: the first page
  // refreshes before calling Webex, and the expired token after that refreshes on a 401.
  controls.setTokenLifetimes({ accessTokenSeconds: 30 });
  controls.setRotateRefreshTokens(true);
  const alice = await signedIn(booted.agent(), emulator, 'alice');
  expect((await alice.get('/listrooms')).status).toBe(200);
  controls.expireAccessTokens({ handle: 'alice' });
  expect((await alice.get('/listrooms')).status).toBe(200);
  controls.reset();

  for (const [, fault] of ROOMS_FAULTS) {
    controls.injectFault({ route: 'rooms', times: Infinity, ...fault });
    // A failure page, whatever its status (a 403 is Webex refusing, not the service failing).
    expect((await alice.get('/listrooms')).status).toBeGreaterThanOrEqual(400);
    expect((await alice.get('/listrooms').set('Accept', 'application/json')).status).toBeGreaterThanOrEqual(400);
    controls.clearFaults();
  }
  // A refresh that Webex fails, then one it refuses (invalid_grant): the session ends.
  controls.expireAccessTokens({ handle: 'alice' });
  controls.injectFault({ route: 'token', grantType: 'refresh_token', kind: 'status', status: 500 });
  expect((await alice.get('/listrooms')).status).toBe(502);
  controls.revokeTokens({ handle: 'alice' });
  expect((await alice.get('/listrooms')).status).toBe(303);

  // Rooms answering 401 even after a refresh signs the session out.
  const bob = await signedIn(booted.agent(), emulator, 'bob');
  controls.injectFault({ route: 'rooms', kind: 'status', status: 401, times: 2 });
  expect((await bob.get('/listrooms')).status).toBe(303);

  // Every error the callback can carry, each with the state of a real pending sign-in.
  for (const error of ['access_denied', 'invalid_scope', 'server_error', 'temporarily_unavailable']) {
    const agent = booted.agent();
    const { state } = await startLogin(agent);
    expect((await agent.get(callbackPath({ error, state }))).status).toBeGreaterThanOrEqual(400);
  }
  const decliner = booted.agent();
  const declined = await consent((await startLogin(decliner)).authorizeUrl, 'carol', 'decline');
  expect((await followCallback(decliner, declined)).status).toBe(403);

  // A code without a state, a state without a code, a forged pair, a forged code with a real state.
  const stranger = booted.agent();
  const pending = await startLogin(stranger);
  expect((await stranger.get(callbackPath({ code: forged('code') }))).status).toBe(400);
  expect((await stranger.get(callbackPath({ state: pending.state }))).status).toBe(400);
  expect((await stranger.get(callbackPath({ code: forged('code'), state: forged('state') }))).status).toBe(400);
  const fresh = await startLogin(stranger);
  expect((await stranger.get(callbackPath({ code: forged('code'), state: fresh.state }))).status).toBe(400);

  // A callback replayed after it worked: its state is spent.
  const replayer = booted.agent();
  const { authorizeUrl } = await startLogin(replayer);
  const callbackUrl = await consent(authorizeUrl, 'alice');
  expect((await followCallback(replayer, callbackUrl)).status).toBe(303);
  expect((await followCallback(replayer, callbackUrl)).status).toBe(400);

  // The token endpoint failing the code exchange.
  for (const [, fault] of UPSTREAM_FAULTS) {
    const agent = booted.agent();
    const login = await startLogin(agent);
    const url = await consent(login.authorizeUrl, 'alice');
    controls.injectFault({ route: 'token', grantType: 'authorization_code', times: Infinity, ...fault });
    expect((await followCallback(agent, url)).status).toBeGreaterThanOrEqual(500);
    controls.clearFaults();
  }

  // And out again.
  expect((await replayer.post('/logout')).status).toBe(303);
  controls.reset();
}

interface JsonLine {
  level: string;
  msg?: string;
  reqId?: string;
  context?: string;
  req?: { id?: string; method?: string; url?: string };
  res?: { statusCode?: number };
  responseTime?: number;
}

function jsonLines(capture: CapturingLogger): JsonLine[] {
  return capture.lines.flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      return [JSON.parse(line) as JsonLine];
    } catch {
      return [];
    }
  });
}

/** The JSON lines written under one request id. */
function linesOf(booted: BootedApp, id: string): JsonLine[] {
  return jsonLines(booted.logger).filter((line) => line.reqId === id);
}

/** Base64url runs as long as a token or code (43+); request ids are UUIDs, Webex tracking ids excepted. */
function tokenShaped(text: string): string[] {
  return [...text.matchAll(/[A-Za-z0-9_-]{43,}/g)]
    .map((m) => m[0])
    .filter((s) => !/^ROUTER_[0-9A-F-]{36}$/.test(s))
    .map((s) => `${s.slice(0, 6)}…`);
}

describe('What the service writes to its log', () => {
  let emulator: WebexEmulator;

  beforeAll(async () => {
    emulator = await startTestEmulator();
  });

  afterAll(async () => {
    await emulator?.close();
  });

  describe.each(['json', 'pretty'] as const)('in %s format, at the most verbose level', (format) => {
    let booted: BootedApp;
    const handled = new Handled();

    beforeAll(async () => {
      // Every line the service can write: verbose, and the auth module's flow lines on.
      booted = await bootApp(emulator, {
        LOG_FORMAT: format,
        LOG_LEVEL: 'verbose',
        DEBUG: 'oauth',
        WEBEX_TIMEOUT_MS: '500',
      });
      handled.add('client_secret', E2E_CLIENT.clientSecret);
      handled.add('session secret', E2E_SESSION_SECRET);
      tapBrowserSide(booted, handled);
      tapWebexSide(booted, handled);
      await walkEverything(booted, emulator);
    });

    afterAll(async () => {
      await booted?.close();
    });

    it('saw every kind of credential on the wire, so the scan below means something', () => {
      expect([...handled.kinds()].sort()).toEqual(
        [
          'access_token',
          'client_secret',
          'code',
          'code_verifier',
          'refresh_token',
          'session cookie signature',
          'session id',
          'session secret',
          'signed session cookie',
          'state',
        ].sort(),
      );
      // Sign-ins, refreshes with rotation and forged callbacks: many of each, not one.
      expect(handled.count('code')).toBeGreaterThanOrEqual(10);
      expect(handled.count('refresh_token')).toBeGreaterThanOrEqual(3);
      expect(handled.count('session id')).toBeGreaterThanOrEqual(10);
    });

    it('writes none of the codes, states, tokens, secrets, verifiers or session cookies it handled', () => {
      expect(handled.foundIn(booted.logger.text)).toEqual([]);
      expect(tokenShaped(booted.logger.text)).toEqual([]);
    });

    it('does write lines: requests, Webex failures with their trackingId, the auth flow', () => {
      const text = booted.logger.text;
      expect(booted.logger.lines.length).toBeGreaterThan(100);
      // The callback is logged by its path alone.
      expect(text).toMatch(/GET \/oauth 400 \d+ms/);
      expect(text).toMatch(/GET \/listrooms 200 \d+ms/);
      expect(text).toMatch(/POST \/logout 303 \d+ms/);
      expect(text).toMatch(/callback carries error=access_denied/);
      expect(text).not.toMatch(/\/oauth\?/);
      const warnings = booted.logger.lines.filter((line) => /"level":"warn"|\bWARN\b/.test(line));
      expect(warnings.some((line) => TRACKING_ID.test(line))).toBe(true);
    });

    if (format === 'json') {
      it('writes one JSON object per line, each request line with its id, method, path, status and time', () => {
        const lines = jsonLines(booted.logger);
        expect(lines.length).toBe(booted.logger.lines.filter((line) => line.trim() !== '').length);
        const requests = lines.filter((line) => line.req && line.res);
        expect(requests.length).toBeGreaterThan(40);
        for (const line of requests) {
          expect(line.reqId).toMatch(UUID);
          expect(line.req?.id).toBe(line.reqId);
          expect(line.req?.url).not.toContain('?');
          expect(typeof line.res?.statusCode).toBe('number');
          expect(typeof line.responseTime).toBe('number');
        }
        // Lines logged while a request runs carry its id, through Nest's Logger too.
        const flow = lines.filter((line) => line.context === 'OAuth');
        expect(flow.length).toBeGreaterThan(10);
        for (const line of flow) expect(line.reqId).toMatch(UUID);
        const webexWarnings = lines.filter((line) => line.level === 'warn' && line.context === 'WebexApiService');
        expect(webexWarnings.some((line) => TRACKING_ID.test(line.msg ?? '') && UUID.test(line.reqId ?? ''))).toBe(
          true,
        );
      });
    } else {
      it('writes readable lines with the level, the request id and the context', () => {
        expect(booted.logger.text).toMatch(/INFO: \[[0-9a-f-]{36}\] OAuth: sign-in started/);
        expect(booted.logger.text).toMatch(/WARN: \[[0-9a-f-]{36}\] WebexApiService: GET \/rooms → 500/);
        expect(booted.logger.lines.some((line) => line.startsWith('{'))).toBe(false);
      });
    }
  });

  describe('request ids', () => {
    let booted: BootedApp;

    beforeAll(async () => {
      booted = await bootApp(emulator, { LOG_FORMAT: 'json', DEBUG: 'oauth' });
    });

    afterAll(async () => {
      await booted?.close();
    });

    it.each([
      ['a page', '/', 200],
      ['a redirect', '/login', 302],
      ['a page that needs a sign-in', '/listrooms', 303],
      // Refused by the static files before Nest's router: the request log comes first.
      ['a static path that cannot be decoded', '/static/%E0%A4%A', 400],
      ['an unknown address', '/no-such-page', 404],
      ['a failed callback', '/oauth?error=access_denied', 403],
    ])('gives %s a new X-Request-Id and logs its line under it', async (_name, path, status) => {
      const response = await booted.request().get(path);

      expect(response.status).toBe(status);
      const id = response.headers['x-request-id'];
      expect(id).toMatch(UUID);
      expect(
        linesOf(booted, id).some(
          (line) => line.req?.url === path.replace(/\?.*/, '') && line.res?.statusCode === status,
        ),
      ).toBe(true);
    });

    it('gives each request its own id', async () => {
      const first = await booted.request().get('/');
      const second = await booted.request().get('/');

      expect(first.headers['x-request-id']).not.toBe(second.headers['x-request-id']);
    });

    it('keeps a sane incoming X-Request-Id, answers with it and logs under it', async () => {
      const incoming = `lb-1.trace:${randomBytes(8).toString('hex')}`;

      const response = await booted.agent().get('/login').set('X-Request-Id', incoming);

      expect(response.headers['x-request-id']).toBe(incoming);
      const lines = linesOf(booted, incoming);
      expect(lines.some((line) => line.context === 'OAuth' && /sign-in started/.test(line.msg ?? ''))).toBe(true);
      expect(lines.some((line) => line.req?.url === '/login' && line.res?.statusCode === 302)).toBe(true);
    });

    it.each([
      ['300 characters long', 'a'.repeat(300)],
      ['with spaces', 'a request id'],
      ['shaped like a log line', '{"level":"fatal","msg":"forged"}'],
      ['with a tab', 'id\twith-tab'],
      ['empty', ''],
    ])('replaces an incoming X-Request-Id %s with a new one', async (_name, incoming) => {
      const response = await booted.request().get('/').set('X-Request-Id', incoming);

      const id = response.headers['x-request-id'];
      expect(id).toMatch(UUID);
      expect(linesOf(booted, id)).not.toHaveLength(0);
      if (incoming) expect(booted.logger.text).not.toContain(incoming);
    });

    it('shows the request id on the error page, so a person can quote it to support', async () => {
      const response = await booted.agent().get(callbackPath({ error: 'server_error', state: forged('state') }));

      const id = response.headers['x-request-id'];
      expect(id).toMatch(UUID);
      expect(h1Of(response.text)).toBe(ERROR);
      expect(textOf(response.text)).toContain(`Request id (quote it to support): ${id}`);
      expect(linesOf(booted, id).some((line) => line.res?.statusCode === 400)).toBe(true);
    });

    it('shows the request id beside the Webex tracking id when Webex failed', async () => {
      const agent = await signedIn(booted.agent(), emulator, 'alice');
      emulator.controls.injectFault({ route: 'rooms', kind: 'status', status: 500, times: Infinity });
      try {
        const page = await agent.get('/listrooms');
        const json = await agent.get('/listrooms').set('Accept', 'application/json');

        expect(page.status).toBe(502);
        expect(textOf(page.text)).toMatch(TRACKING_ID);
        expect(textOf(page.text)).toContain(`Request id (quote it to support): ${page.headers['x-request-id']}`);
        expect(json.body).toEqual(
          expect.objectContaining({
            requestId: json.headers['x-request-id'],
            trackingId: expect.stringMatching(TRACKING_ID),
          }),
        );
      } finally {
        emulator.controls.reset();
      }
    });
  });

  describe('at LOG_LEVEL=warn', () => {
    let booted: BootedApp;

    beforeAll(async () => {
      booted = await bootApp(emulator, { LOG_FORMAT: 'json', LOG_LEVEL: 'warn' });
    });

    afterAll(async () => {
      await booted?.close();
    });

    it.each(['/login', '/health/live', '/static/app.css', '/no-such-page'])(
      'gives %s an X-Request-Id',
      async (path) => {
        const response = await booted.request().get(path);

        expect(response.headers['x-request-id']).toMatch(UUID);
      },
    );

    it('writes no line for a request that succeeds', async () => {
      const response = await booted.request().get('/login');

      expect(response.status).toBe(302);
      expect(linesOf(booted, response.headers['x-request-id'])).toEqual([]);
    });

    it('still writes the line of a request that fails, at warn for a 4xx and error for a 5xx', async () => {
      const missing = await booted.request().get('/no-such-page');
      const agent = await signedIn(booted.agent(), emulator, 'alice');
      emulator.controls.injectFault({ route: 'rooms', kind: 'status', status: 500, times: Infinity });
      try {
        const failed = await agent.get('/listrooms');

        expect(missing.status).toBe(404);
        expect(linesOf(booted, missing.headers['x-request-id'])).toEqual([
          expect.objectContaining({ level: 'warn', msg: expect.stringMatching(/^GET \/no-such-page 404 \d+ms$/) }),
        ]);
        expect(failed.status).toBe(502);
        const lines = linesOf(booted, failed.headers['x-request-id']);
        expect(lines).toContainEqual(
          expect.objectContaining({
            level: 'warn',
            context: 'WebexApiService',
            msg: expect.stringMatching(TRACKING_ID),
          }),
        );
        expect(lines).toContainEqual(
          expect.objectContaining({ level: 'error', msg: expect.stringMatching(/^GET \/listrooms 502 \d+ms$/) }),
        );
      } finally {
        emulator.controls.reset();
      }
    });
  });

  describe('DEBUG=oauth', () => {
    it.each([
      ['shows', 'oauth', true],
      ['shows with a wildcard', 'oauth*', true],
      ['does not show', undefined, false],
      ['does not show for another module', 'express:*', false],
    ])('%s the auth flow lines at the default level (DEBUG=%s)', async (_name, debug, shown) => {
      const booted = await bootApp(emulator, { LOG_FORMAT: 'json', DEBUG: debug });
      try {
        const login = await booted.agent().get('/login');
        expect(login.status).toBe(302);

        const flow = jsonLines(booted.logger).filter((line) => line.context === 'OAuth');
        if (shown) {
          expect(flow).toEqual([
            expect.objectContaining({
              level: 'info',
              msg: expect.stringMatching(/sign-in started/),
              reqId: login.headers['x-request-id'],
            }),
          ]);
        } else {
          expect(flow).toEqual([]);
          // The request itself is still logged: the level is right, the flow lines are just quiet.
          expect(jsonLines(booted.logger).some((line) => line.req?.url === '/login')).toBe(true);
        }
      } finally {
        await booted.close();
      }
    });
  });
});
