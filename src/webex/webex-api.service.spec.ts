import { Logger } from '@nestjs/common';
import { type IncomingMessage, type RequestListener, type ServerResponse, createServer } from 'node:http';
import { type AddressInfo, type Socket, createServer as createTcpServer } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { startWebexEmulator, type WebexEmulator } from '../sandbox';
import { WebexApiService } from './webex-api.service';
import { webexCalls } from './webex.calls';
import {
  WebexBadResponseError,
  WebexForbiddenError,
  WebexGrantRefusedError,
  WebexRateLimitedError,
  WebexRejectedError,
  WebexUnauthorizedError,
  WebexUnavailableError,
} from './webex.errors';
import { SPEC_REDIRECT_URI, webexServiceFor } from './webex.test-helpers';

const CLIENT = { clientId: 'spec-client', clientSecret: 'spec-secret-value' };
const REDIRECT_URI = SPEC_REDIRECT_URI;

/** A stand-in Webex on loopback, for answers the emulator does not give. */
interface Upstream {
  apiBaseUrl: string;
  /** TCP connections accepted so far. */
  connections: number;
  /** Resolves when every connection accepted so far has closed. */
  allClosed(): Promise<void>;
  close(): Promise<void>;
}

async function startUpstream(handler: RequestListener): Promise<Upstream> {
  const server = createServer(handler);
  const closed: Promise<void>[] = [];
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const upstream: Upstream = {
    apiBaseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    connections: 0,
    allClosed: () => Promise.all(closed).then(() => undefined),
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  server.on('connection', (socket: Socket) => {
    upstream.connections++;
    closed.push(new Promise((resolve) => socket.once('close', () => resolve())));
  });
  return upstream;
}

const PERSON = JSON.stringify({ id: 'p1', displayName: 'Stand-in Person' });

/** The wrapper's own specs go over real HTTP, to the emulator on loopback. */
describe(WebexApiService.name, () => {
  let emulator: WebexEmulator;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    emulator = await startWebexEmulator({
      clients: [{ ...CLIENT, redirectUris: [REDIRECT_URI], scopes: ['spark:people_read', 'spark:rooms_read'] }],
    });
  });
  afterAll(() => emulator.close());
  afterEach(() => {
    emulator.controls.reset();
    process.env = { ...savedEnv };
  });

  const serviceWith = (env: Record<string, string> = {}) =>
    webexServiceFor(
      emulator.apiBaseUrl,
      { ...CLIENT, scopes: ['spark:people_read', 'spark:rooms_read'] },
      env,
      savedEnv,
    );

  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });
  async function make(env?: Record<string, string>) {
    const made = await serviceWith(env);
    close = made.close;
    return made.service;
  }

  const tokenFor = (handle: string, scopes?: string[]) =>
    emulator.controls.issueTokens(handle, CLIENT.clientId, scopes).access_token;

  it('fetches the signed-in person', async () => {
    const service = await make();
    await expect(service.get(webexCalls.me, tokenFor('alice'))).resolves.toMatchObject({
      displayName: 'Alice Sandbox',
      id: expect.any(String),
    });
  });

  it('lists every room newest activity first, following Link pages', async () => {
    const service = await make({ WEBEX_PAGE_SIZE: '3' });
    const { items: rooms, truncated } = await service.list(webexCalls.rooms, tokenFor('alice'), {
      query: { sortBy: 'lastactivity' },
    });
    expect(rooms).toHaveLength(7);
    expect(truncated).toBe(false);
    expect(emulator.controls.stats().requests.rooms).toBe(3);
    const times = rooms.map((r) => Date.parse(r.lastActivity!));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it('stops at the configured cap and says there were more', async () => {
    const service = await make({ WEBEX_PAGE_SIZE: '1000', WEBEX_LIST_LIMIT: '2000' });
    const { items: rooms, truncated } = await service.list(webexCalls.rooms, tokenFor('carol'));
    expect(rooms).toHaveLength(2000);
    expect(truncated).toBe(true);
    expect(emulator.controls.stats().requests.rooms).toBe(2);
  });

  it('lists nothing for a person with no rooms', async () => {
    const service = await make();
    await expect(service.list(webexCalls.rooms, tokenFor('bob'))).resolves.toEqual({ items: [], truncated: false });
  });

  it('reuses connections to Webex (keep-alive)', async () => {
    const service = await make();
    const token = tokenFor('alice');
    // As calls come in a service: the next one starts on a later turn of the event loop.
    for (let i = 0; i < 10; i++) {
      await service.get(webexCalls.me, token);
      await nextTurn();
    }
    expect(emulator.controls.stats().connections).toBe(1);
  });

  it('reuses connections for calls made back to back (at most one more connection)', async () => {
    // undici checks an idle connection for a close from the server on the next turn of the event
    // loop before it writes on it; its pool opens a second connection for a call made meanwhile.
    const service = await make();
    const token = tokenFor('alice');
    for (let i = 0; i < 10; i++) await service.get(webexCalls.me, token);
    expect(emulator.controls.stats().connections).toBeLessThanOrEqual(2);
  });

  it('refreshes tokens, and picks up a rotated refresh token', async () => {
    const service = await make();
    emulator.controls.setRotateRefreshTokens(true);
    const issued = emulator.controls.issueTokens('alice', CLIENT.clientId);
    const fresh = await service.refreshTokens(issued.refresh_token);
    expect(fresh.refreshToken).not.toBe(issued.refresh_token);
    expect(fresh.accessTokenExpiresAt).toBeGreaterThan(Date.now());
    await expect(service.get(webexCalls.me, fresh.accessToken)).resolves.toMatchObject({
      displayName: 'Alice Sandbox',
    });
    await expect(service.refreshTokens(issued.refresh_token)).rejects.toBeInstanceOf(WebexGrantRefusedError);
  });

  // Webex answers a dead refresh token in its REST shape, with no OAuth `error` field; the RFC 6749
  // shape is the other one seen. Either way the status decides, and the log gets Webex's words.
  describe.each(['rest', 'oauth'] as const)('token refusals in the %s shape', (shape) => {
    beforeEach(() => emulator.controls.setTokenErrorShape(shape));

    it('refuses a dead refresh token as a refused grant (400), once, with the trackingId and the reason logged', async () => {
      const service = await make();
      const issued = emulator.controls.issueTokens('alice', CLIENT.clientId);
      emulator.controls.revokeTokens({ handle: 'alice' });
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      const error = await service.refreshTokens(issued.refresh_token).catch((e: unknown) => e);
      const lines = warn.mock.calls.map((call) => String(call[0]));
      warn.mockRestore();
      expect(error).toBeInstanceOf(WebexGrantRefusedError);
      expect(error).toMatchObject({ status: 400, trackingId: expect.stringMatching(/^ROUTER_/) });
      expect(emulator.controls.stats().tokenGrants.refresh_token).toBe(1);
      expect(lines.join('\n')).toMatch(/refresh_token\) → 400 \(.*expired, revoked, malformed, or invalid/);
      expect(lines.join('\n')).toContain((error as WebexGrantRefusedError).trackingId);
      if (shape === 'oauth') expect(lines.join('\n')).toContain('invalid_grant');
      expect(lines.join('\n')).not.toContain(issued.refresh_token);
    });

    it('refuses a used code (400) and a wrong client secret (401) as refused grants', async () => {
      const service = await make();
      const used = await service.exchangeCode('no-such-code', 'x'.repeat(43)).catch((e: unknown) => e);
      expect(used).toBeInstanceOf(WebexGrantRefusedError);
      expect(used).toMatchObject({ status: 400 });
      const wrongSecret = await serviceWith({ CLIENT_SECRET: 'not-the-secret' });
      const refused = await wrongSecret.service
        .exchangeCode('no-such-code', 'x'.repeat(43))
        .catch((e: unknown) => e)
        .finally(() => wrongSecret.close());
      expect(refused).toBeInstanceOf(WebexGrantRefusedError);
      expect(refused).toMatchObject({ status: 401 });
    });
  });

  it('maps an expired token to unauthorized and a missing scope to forbidden, with the trackingId', async () => {
    const service = await make();
    const token = tokenFor('alice');
    emulator.controls.expireAccessTokens({ handle: 'alice' });
    const expired = await service.get(webexCalls.me, token).catch((e: unknown) => e);
    expect(expired).toBeInstanceOf(WebexUnauthorizedError);
    expect((expired as WebexUnauthorizedError).trackingId).toMatch(/^ROUTER_/);
    await expect(service.list(webexCalls.rooms, tokenFor('alice', ['spark:people_read']))).rejects.toBeInstanceOf(
      WebexForbiddenError,
    );
  });

  // The number of requests shows which failures the retry policy repeats (1 + WEBEX_RETRIES, default 2).
  it.each([
    ['a 500', { kind: 'status', status: 500 }, WebexUnavailableError, 1],
    ['a 503', { kind: 'status', status: 503 }, WebexUnavailableError, 3],
    ['a 429', { kind: 'rate-limit', retryAfterSeconds: 42 }, WebexRateLimitedError, 1],
    ['a reset connection', { kind: 'reset' }, WebexUnavailableError, 3],
    ['a body that is not JSON', { kind: 'non-json' }, WebexBadResponseError, 1],
    ['a 400', { kind: 'status', status: 400 }, WebexRejectedError, 1],
  ] as const)('maps %s on /people/me to %p', async (_case, fault, expected, requests) => {
    const service = await make();
    const token = tokenFor('alice');
    emulator.controls.injectFault({ route: 'people/me', times: Infinity, ...fault });
    const error = await service.get(webexCalls.me, token).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(expected);
    if (error instanceof WebexRateLimitedError) expect(error.retryAfterSeconds).toBe(42);
    expect(emulator.controls.stats().requests['people/me']).toBe(requests);
  });

  it('gives up on a hung Webex within the time budget', async () => {
    const service = await make({ WEBEX_TIMEOUT_MS: '300' });
    const token = tokenFor('alice');
    emulator.controls.injectFault({ route: 'rooms', kind: 'hang', times: Infinity });
    const started = Date.now();
    await expect(service.list(webexCalls.rooms, token)).rejects.toBeInstanceOf(WebexUnavailableError);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('maps token endpoint failures and never logs the secret, the code or a token', async () => {
    const service = await make();
    const lines: string[] = [];
    const spies = (['log', 'warn', 'error', 'debug', 'verbose'] as const).map((level) =>
      jest
        .spyOn(Logger.prototype, level)
        .mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' '))),
    );
    const issued = emulator.controls.issueTokens('alice', CLIENT.clientId);
    emulator.controls.injectFault({ route: 'token', kind: 'status', status: 502, times: 1 });
    await expect(service.exchangeCode('the-secret-code', 'verifier-value-'.repeat(3))).rejects.toBeInstanceOf(
      WebexUnavailableError,
    );
    emulator.controls.injectFault({ route: 'token', kind: 'non-json', times: 1 });
    await expect(service.refreshTokens(issued.refresh_token)).rejects.toBeInstanceOf(WebexBadResponseError);
    await service.get(webexCalls.me, issued.access_token);
    spies.forEach((spy) => spy.mockRestore());

    const logged = lines.join('\n');
    expect(logged).toMatch(/POST \/access_token/);
    for (const secret of [
      CLIENT.clientSecret,
      'the-secret-code',
      'verifier-value-',
      issued.refresh_token,
      issued.access_token,
    ]) {
      expect(logged).not.toContain(secret);
    }
  });

  describe('resilience policy', () => {
    const elapsedOf = async (run: () => Promise<unknown>) => {
      const started = Date.now();
      const result = await run().catch((e: unknown) => e);
      return { result, ms: Date.now() - started };
    };

    it.each([
      ['503', 'people/me', { kind: 'status', status: 503 }],
      ['502', 'people/me', { kind: 'status', status: 502 }],
      ['504', 'people/me', { kind: 'status', status: 504 }],
      ['reset connection', 'people/me', { kind: 'reset' }],
      ['503', 'rooms', { kind: 'status', status: 503 }],
      ['502', 'rooms', { kind: 'status', status: 502 }],
      ['reset connection', 'rooms', { kind: 'reset' }],
    ] as const)('retries a GET after a single %s on /%s, and succeeds', async (_case, route, fault) => {
      const service = await make();
      const token = tokenFor('alice');
      emulator.controls.injectFault({ route, times: 1, ...fault });
      if (route === 'rooms')
        await expect(service.list(webexCalls.rooms, token)).resolves.toMatchObject({ items: expect.any(Array) });
      else await expect(service.get(webexCalls.me, token)).resolves.toMatchObject({ displayName: 'Alice Sandbox' });
      expect(emulator.controls.stats().requests[route]).toBe(2);
    });

    it('with WEBEX_RETRIES=1 gives up on a lasting 503 after 2 attempts', async () => {
      const service = await make({ WEBEX_RETRIES: '1' });
      const token = tokenFor('alice');
      emulator.controls.injectFault({ route: 'rooms', kind: 'status', status: 503, times: Infinity });
      await expect(service.list(webexCalls.rooms, token)).rejects.toBeInstanceOf(WebexUnavailableError);
      expect(emulator.controls.stats().requests.rooms).toBe(2);
    });

    it('does not retry a single 503 when WEBEX_RETRIES=0', async () => {
      const service = await make({ WEBEX_RETRIES: '0' });
      const token = tokenFor('alice');
      emulator.controls.injectFault({ route: 'people/me', kind: 'status', status: 503, times: 1 });
      await expect(service.get(webexCalls.me, token)).rejects.toMatchObject({ status: 503 });
      expect(emulator.controls.stats().requests['people/me']).toBe(1);
    });

    it.each([
      ['a 503', { kind: 'status', status: 503 }, WebexUnavailableError],
      ['a 502', { kind: 'status', status: 502 }, WebexUnavailableError],
      ['a reset connection', { kind: 'reset' }, WebexUnavailableError],
      ['a 429 with a short Retry-After', { kind: 'rate-limit', retryAfterSeconds: 1 }, WebexRateLimitedError],
    ] as const)(
      'never retries the code exchange or the refresh grant, even after %s',
      async (_case, fault, expected) => {
        const service = await make();
        const issued = emulator.controls.issueTokens('alice', CLIENT.clientId);
        emulator.controls.injectFault({ route: 'token', times: 1, grantType: 'authorization_code', ...fault });
        emulator.controls.injectFault({ route: 'token', times: 1, grantType: 'refresh_token', ...fault });

        await expect(service.exchangeCode('some-code', 'v'.repeat(43))).rejects.toBeInstanceOf(expected);
        await expect(service.refreshTokens(issued.refresh_token)).rejects.toBeInstanceOf(expected);
        expect(emulator.controls.stats().tokenGrants).toEqual({ authorization_code: 1, refresh_token: 1 });
        // The refresh token was not spent by the failed call.
        await expect(service.refreshTokens(issued.refresh_token)).resolves.toMatchObject({
          accessToken: expect.any(String),
        });
      },
    );

    it('waits out a short Retry-After once: a single 429 then succeeds, a lasting one is passed on', async () => {
      const service = await make({ WEBEX_RETRY_AFTER_MAX_WAIT_MS: '2000' });
      const token = tokenFor('alice');
      emulator.controls.injectFault({ route: 'people/me', kind: 'rate-limit', retryAfterSeconds: 1, times: 1 });
      emulator.controls.injectFault({ route: 'rooms', kind: 'rate-limit', retryAfterSeconds: 1, times: Infinity });

      // Two independent calls side by side, so the suite pays the one-second wait once.
      const [once, lasting] = await Promise.all([
        elapsedOf(() => service.get(webexCalls.me, token)),
        elapsedOf(() => service.list(webexCalls.rooms, token)),
      ]);
      expect(once.result).toMatchObject({ displayName: 'Alice Sandbox' });
      expect(once.ms).toBeGreaterThanOrEqual(950);
      expect(lasting.result).toBeInstanceOf(WebexRateLimitedError);
      expect(lasting.result).toMatchObject({ retryAfterSeconds: 1, status: 429 });
      expect(lasting.ms).toBeGreaterThanOrEqual(950);
      expect(emulator.controls.stats().requests).toMatchObject({ 'people/me': 2, rooms: 2 });
    });

    it.each([
      ['a 429', { kind: 'rate-limit', retryAfterSeconds: 30 }, 429],
      ['a 503', { kind: 'status', status: 503, retryAfterSeconds: 30 }, 503],
    ] as const)('passes on %s with Retry-After 30 at once, with one request', async (_case, fault, status) => {
      const service = await make();
      const token = tokenFor('alice');
      emulator.controls.injectFault({ route: 'people/me', times: Infinity, ...fault });
      const { result, ms } = await elapsedOf(() => service.get(webexCalls.me, token));
      expect(result).toBeInstanceOf(WebexRateLimitedError);
      expect(result).toMatchObject({ retryAfterSeconds: 30, status });
      expect(ms).toBeLessThan(500);
      expect(emulator.controls.stats().requests['people/me']).toBe(1);
    });

    it('keeps to the call budget through a hang and through a slow answer, retries configured or not', async () => {
      const service = await make({ WEBEX_TIMEOUT_MS: '500', WEBEX_RETRIES: '5' });
      const token = tokenFor('alice');
      emulator.controls.injectFault({ route: 'people/me', kind: 'hang', times: Infinity });
      emulator.controls.injectFault({ route: 'rooms', kind: 'slow', delayMs: 5_000, times: Infinity });

      const outcomes = await Promise.all([
        elapsedOf(() => service.get(webexCalls.me, token)),
        elapsedOf(() => service.list(webexCalls.rooms, token)),
      ]);
      for (const { result, ms } of outcomes) {
        expect(result).toBeInstanceOf(WebexUnavailableError);
        expect((result as Error).message).toMatch(/timed out/);
        expect(ms).toBeGreaterThanOrEqual(450);
        expect(ms).toBeLessThan(3_000);
      }
      expect(emulator.controls.stats().requests).toMatchObject({ 'people/me': 1, rooms: 1 });
    });

    it('counts retries and their waits against the one budget of the call', async () => {
      // A slow 503, then a hang: the retry gets what is left of the 600 ms, not 600 ms of its own.
      const service = await make({ WEBEX_TIMEOUT_MS: '600' });
      const token = tokenFor('alice');
      emulator.controls.setLatency(350, 'people/me');
      emulator.controls.injectFault({ route: 'people/me', kind: 'status', status: 503, times: 1 });
      emulator.controls.injectFault({ route: 'people/me', kind: 'hang', times: Infinity });
      const { result, ms } = await elapsedOf(() => service.get(webexCalls.me, token));
      expect(result).toBeInstanceOf(WebexUnavailableError);
      expect((result as Error).message).toMatch(/timed out/);
      expect(emulator.controls.stats().requests['people/me']).toBe(2);
      expect(ms).toBeGreaterThanOrEqual(550);
      expect(ms).toBeLessThan(900);
    });

    it('bounds establishing a connection by WEBEX_CONNECT_TIMEOUT_MS, and retries it', async () => {
      // Loopback completes every TCP handshake, so this Webex hangs in the TLS handshake instead:
      // it accepts and never answers. Without a connect bound only the 10 s budget would end it; the
      // 5 s mark leaves room for a loaded machine (two 100 ms bounds and a backoff took 2.1 s there).
      const sockets = new Set<Socket>();
      const silent = createTcpServer((socket) => sockets.add(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      try {
        const { port } = silent.address() as AddressInfo;
        const service = await make({
          WEBEX_API_BASE_URL: `https://127.0.0.1:${port}/v1`,
          WEBEX_CONNECT_TIMEOUT_MS: '100',
          WEBEX_TIMEOUT_MS: '10000',
          WEBEX_RETRIES: '1',
        });
        const { result, ms } = await elapsedOf(() => service.get(webexCalls.me, 'token'));
        expect(result).toBeInstanceOf(WebexUnavailableError);
        expect((result as Error).message).toMatch(/connect timed out/);
        expect(sockets.size).toBe(2);
        expect(ms).toBeLessThan(5_000);
      } finally {
        sockets.forEach((socket) => socket.destroy());
        await new Promise((resolve) => silent.close(resolve));
      }
    });

    it('does not take a slow answer on an established connection for a connect timeout', async () => {
      const service = await make({ WEBEX_CONNECT_TIMEOUT_MS: '100' });
      const token = tokenFor('alice');
      emulator.controls.setLatency(250, 'people/me');
      await expect(service.get(webexCalls.me, token)).resolves.toMatchObject({ displayName: 'Alice Sandbox' });
      expect(emulator.controls.stats()).toMatchObject({ connections: 1, requests: { 'people/me': 1 } });
    });

    it('logs a retry with the attempt, the reason and the trackingId, never the token', async () => {
      const service = await make();
      const token = tokenFor('alice');
      const lines: string[] = [];
      const spies = (['log', 'warn', 'error', 'debug', 'verbose'] as const).map((level) =>
        jest
          .spyOn(Logger.prototype, level)
          .mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' '))),
      );
      emulator.controls.injectFault({ route: 'people/me', kind: 'status', status: 503, times: 1 });
      await service.get(webexCalls.me, token);
      spies.forEach((spy) => spy.mockRestore());

      expect(lines).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            /^GET \/people\/me → 503, attempt 1, \d+ ms, trackingId=ROUTER_\S+; retrying in \d+ ms \(Webex answered 503\)$/,
          ),
          expect.stringMatching(/^GET \/people\/me → 200, attempt 2, \d+ ms \(\d+ ms in all\), trackingId=ROUTER_/),
        ]),
      );
      expect(lines.join('\n')).not.toContain(token);
    });
  });

  it('refuses to send the token to a next link on another host', async () => {
    // A stand-in upstream whose first page links to a foreign host: the wrapper must stop there.
    const seen: string[] = [];
    const upstream = createServer((req, res) => {
      seen.push(req.headers.host ?? '');
      res.setHeader('content-type', 'application/json');
      res.setHeader('link', '<http://attacker.invalid/v1/rooms?cursor=1>; rel="next"');
      res.end(JSON.stringify({ items: [{ id: 'r1', title: 'One', type: 'group' }] }));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = upstream.address() as AddressInfo;
      const service = await make({ WEBEX_API_BASE_URL: `http://127.0.0.1:${port}/v1` });
      await expect(service.list(webexCalls.rooms, 'token')).rejects.toBeInstanceOf(WebexBadResponseError);
      expect(seen).toHaveLength(1);
    } finally {
      await new Promise((resolve) => upstream.close(resolve));
    }
  });

  /** What users rely on from the HTTP client under the wrapper, over real HTTP to a stand-in Webex. */
  describe('the connection to Webex', () => {
    let upstream: Upstream | undefined;
    afterEach(async () => {
      await upstream?.close();
      upstream = undefined;
    });
    async function serviceOn(handler: RequestListener, env: Record<string, string> = {}) {
      upstream = await startUpstream(handler);
      return { upstream, service: await make({ WEBEX_API_BASE_URL: upstream.apiBaseUrl, ...env }) };
    }
    const failureOf = (promise: Promise<unknown>) =>
      promise.then(
        () => {
          throw new Error('expected a rejection');
        },
        (error: unknown) => error as Error,
      );
    const elapsed = (started: number) => Date.now() - started;

    it.each([
      ['before the answer starts', (res: ServerResponse) => void res],
      [
        'while the body trickles in, a byte every 50 ms',
        (res: ServerResponse) => {
          res.writeHead(200, { 'content-type': 'application/json' }).write('{');
          const timer = setInterval(() => res.write(' '), 50);
          res.once('close', () => clearInterval(timer));
        },
      ],
    ])('gives up at the deadline %s, and leaves no connection behind', async (_case, stall) => {
      const { upstream: stalled, service } = await serviceOn((_req, res) => stall(res), {
        WEBEX_TIMEOUT_MS: '400',
        WEBEX_RETRIES: '0',
      });
      const started = Date.now();
      const error = await failureOf(service.get(webexCalls.me, 'token'));
      expect(error).toBeInstanceOf(WebexUnavailableError);
      expect(error.message).toBe('Webex could not be reached (timed out)');
      expect(elapsed(started)).toBeGreaterThanOrEqual(380);
      expect(elapsed(started)).toBeLessThan(2_000);
      await stalled.allClosed();
    });

    it('counts the deadline to the last byte of the body, not to the headers', async () => {
      const { service } = await serviceOn(
        (_req, res) => {
          res.writeHead(200, { 'content-type': 'application/json' }).write('{"id":"p1",');
          setTimeout(() => res.end('"displayName":"Late"}'), 600);
        },
        { WEBEX_TIMEOUT_MS: '300', WEBEX_RETRIES: '0' },
      );
      await expect(service.get(webexCalls.me, 'token')).rejects.toThrow('Webex could not be reached (timed out)');
    });

    it('fails at once, not at the deadline, when the connection drops in the middle of the body', async () => {
      const { service } = await serviceOn(
        (_req, res) => {
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' }).write('{"id":"p1",');
          setTimeout(() => res.socket?.destroy(), 20);
        },
        { WEBEX_TIMEOUT_MS: '5000', WEBEX_RETRIES: '0' },
      );
      const started = Date.now();
      const error = await failureOf(service.get(webexCalls.me, 'token'));
      expect(error).toBeInstanceOf(WebexUnavailableError);
      expect(elapsed(started)).toBeLessThan(2_000);
    });

    it('does not follow a redirect: the token stays on the API origin', async () => {
      const seen: string[] = [];
      const elsewhere = await startUpstream((req, res) => {
        seen.push(`elsewhere ${req.url} ${req.headers.authorization ?? ''}`);
        res.end(PERSON);
      });
      try {
        const { service } = await serviceOn((req, res) => {
          seen.push(`api ${req.url}`);
          res.writeHead(302, { location: `${elsewhere.apiBaseUrl}/people/me` }).end();
        });
        const error = await failureOf(service.get(webexCalls.me, 'the-token'));
        expect(error).toBeInstanceOf(WebexBadResponseError);
        expect(error).toMatchObject({ status: 302 });
        expect(seen).toEqual(['api /v1/people/me']);
      } finally {
        await elsewhere.close();
      }
    });

    /** Writes `megabytes` MB of a room list (never its end) as fast as the client reads; counts what went out. */
    const flood = (megabytes: number, headers: Record<string, string> = {}) => {
      const sent = { megabytes: 0 };
      const handler: RequestListener = (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', ...headers });
        res.write('{"items":["');
        const chunk = Buffer.alloc(1024 * 1024, 'x');
        const more = () => {
          while (sent.megabytes < megabytes) {
            sent.megabytes++;
            if (!res.write(chunk)) return;
          }
        };
        res.on('drain', more);
        more();
      };
      return { handler, sent };
    };

    it('refuses an answer over 16 MB as it streams in, and drops the connection', async () => {
      const { handler } = flood(17);
      const { upstream: big, service } = await serviceOn(handler);
      const error = await failureOf(service.list(webexCalls.rooms, 'token'));
      expect(error).toBeInstanceOf(WebexUnavailableError);
      expect(error.message).toBe('Webex could not be reached (answer too large)');
      await big.allClosed();
    });

    it('refuses an answer that declares more than 16 MB at once, without reading it', async () => {
      // The adapter refuses it on its Content-Length and destroys the unread body, which closes
      // the connection instead of reading the rest.
      const { handler, sent } = flood(17, { 'content-length': String(17 * 1024 * 1024 + 11) });
      const { service } = await serviceOn(handler);
      const started = Date.now();
      const error = await failureOf(service.list(webexCalls.rooms, 'token'));
      expect(error.message).toBe('Webex could not be reached (answer too large)');
      expect(elapsed(started)).toBeLessThan(1_000);
      expect(sent.megabytes).toBeLessThan(16);
    });

    it('refuses an answer that comes compressed anyway and decodes to over 16 MB', async () => {
      const { service } = await serviceOn((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        res.end(gzipSync(`{"items":["${'x'.repeat(17 * 1024 * 1024)}"]}`));
      });
      await expect(service.list(webexCalls.rooms, 'token')).rejects.toThrow(
        'Webex could not be reached (answer too large)',
      );
    });

    it('asks for an uncompressed answer, and reads one that comes compressed anyway', async () => {
      const encodings: (string | undefined)[] = [];
      const { service } = await serviceOn((req: IncomingMessage, res) => {
        encodings.push(req.headers['accept-encoding']);
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        res.end(gzipSync(PERSON));
      });
      await expect(service.get(webexCalls.me, 'token')).resolves.toMatchObject({ displayName: 'Stand-in Person' });
      expect(encodings).toEqual(['identity']);
    });

    it('maps a body that is not JSON to a bad response', async () => {
      const { service } = await serviceOn((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance</html>');
      });
      await expect(service.get(webexCalls.me, 'token')).rejects.toBeInstanceOf(WebexBadResponseError);
    });

    it('maps a refused connection to unavailable', async () => {
      const { upstream: gone, service } = await serviceOn(() => undefined, { WEBEX_RETRIES: '1' });
      await gone.close();
      const error = await failureOf(service.get(webexCalls.me, 'token'));
      expect(error).toBeInstanceOf(WebexUnavailableError);
      expect(error.message).toBe('Webex could not be reached (ECONNREFUSED)');
    });

    describe('a kept-alive connection the server closes', () => {
      /** Answers the first request of every connection; later ones are reset as they arrive. */
      const resetting = () => {
        const perSocket = new WeakMap<Socket, number>();
        let requests = 0;
        const handler: RequestListener = (req, res) => {
          requests++;
          const onSocket = (perSocket.get(req.socket) ?? 0) + 1;
          perSocket.set(req.socket, onSocket);
          if (onSocket > 1) req.socket.resetAndDestroy();
          else res.writeHead(200, { 'content-type': 'application/json' }).end(PERSON);
        };
        return { handler, requests: () => requests };
      };

      it('while it is idle: the next call goes out on a new connection', async () => {
        const { upstream: closing, service } = await serviceOn((_req, res) => {
          res.writeHead(200, { 'content-type': 'application/json', connection: 'close' }).end(PERSON);
        });
        await service.get(webexCalls.me, 'token');
        await closing.allClosed();
        await expect(service.get(webexCalls.me, 'token')).resolves.toMatchObject({ displayName: 'Stand-in Person' });
        expect(closing.connections).toBe(2);
      });

      it('as a GET goes out on it: the GET is retried on a new connection', async () => {
        const server = resetting();
        const { upstream: flaky, service } = await serviceOn(server.handler);
        await service.get(webexCalls.me, 'token');
        await nextTurn();
        await expect(service.get(webexCalls.me, 'token')).resolves.toMatchObject({ displayName: 'Stand-in Person' });
        expect(server.requests()).toBe(3);
        expect(flaky.connections).toBe(2);
      });

      it('as a token grant goes out on it: the grant fails, and is not sent again', async () => {
        // The old hand-written adapter sent it once more; undici does not, and the grants are never retried.
        const server = resetting();
        const { service } = await serviceOn(server.handler);
        await service.get(webexCalls.me, 'token');
        await nextTurn();
        const error = await failureOf(service.refreshTokens('refresh-token'));
        expect(error).toBeInstanceOf(WebexUnavailableError);
        expect(error.message).toMatch(/^Webex could not be reached \((ECONNRESET|connection closed by the server)\)$/);
        expect(server.requests()).toBe(2);
      });
    });
  });
  /** Login with Webex (OpenID Connect): discovery, the discovered token endpoint, UserInfo and the key set. */
  describe('Login with Webex', () => {
    let upstream: Upstream | undefined;
    afterEach(async () => {
      await upstream?.close();
      upstream = undefined;
    });

    /** A request as a stand-in server saw it. */
    interface Seen {
      method?: string;
      url?: string;
      authorization?: string;
      contentType?: string;
      body: string;
    }

    /** A stand-in server (not the API base) answering every request with `answer`; what it was sent. */
    async function standIn(answer: unknown, status = 200) {
      const seen: Seen[] = [];
      upstream = await startUpstream((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => {
          seen.push({
            method: req.method,
            url: req.url,
            authorization: req.headers.authorization,
            contentType: req.headers['content-type'],
            body: Buffer.concat(chunks).toString(),
          });
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
        });
      });
      return { seen, origin: new URL(upstream.apiBaseUrl).origin };
    }

    const TOKEN_ANSWER = {
      access_token: 'oidc-access',
      refresh_token: 'oidc-refresh',
      expires_in: 3600,
      token_type: 'Bearer',
      id_token: 'header.payload.signature',
    };

    it('reads the discovery document from the emulator', async () => {
      const service = await make();
      await expect(service.openIdConfiguration()).resolves.toMatchObject({
        issuer: expect.stringMatching(/^https?:\/\//),
        token_endpoint: `${emulator.apiBaseUrl}/access_token`,
        userinfo_endpoint: `${emulator.apiBaseUrl}/userinfo`,
        jwks_uri: `${emulator.apiBaseUrl}/verification`,
        id_token_signing_alg_values_supported: ['RS256'],
        token_endpoint_auth_methods_supported: ['client_secret_basic'],
      });
    });

    it('reads the discovery document at {WEBEX_API_BASE_URL}/.well-known/openid-configuration', async () => {
      const document = {
        issuer: 'https://idbroker.stand-in.test/idb',
        authorization_endpoint: 'https://idbroker.stand-in.test/idb/oauth2/v1/authorize',
        token_endpoint: 'https://idbroker.stand-in.test/idb/oauth2/v1/access_token',
        jwks_uri: 'https://idbroker.stand-in.test/idb/oauth2/v2/keys/verificationjwk',
        scopes_supported: ['openid'],
      };
      const { seen } = await standIn(document);
      const service = await make({ WEBEX_API_BASE_URL: upstream!.apiBaseUrl });

      const read = await service.openIdConfiguration();
      expect(read).toEqual({
        issuer: document.issuer,
        authorization_endpoint: document.authorization_endpoint,
        token_endpoint: document.token_endpoint,
        jwks_uri: document.jwks_uri,
      });
      expect(seen).toEqual([expect.objectContaining({ method: 'GET', url: '/v1/.well-known/openid-configuration' })]);
    });

    it('refuses a discovery document without jwks_uri as a bad response', async () => {
      await standIn({
        issuer: 'https://idbroker.stand-in.test/idb',
        authorization_endpoint: 'https://idbroker.stand-in.test/idb/oauth2/v1/authorize',
        token_endpoint: 'https://idbroker.stand-in.test/idb/oauth2/v1/access_token',
      });
      const service = await make({ WEBEX_API_BASE_URL: upstream!.apiBaseUrl });
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      const error = await service.openIdConfiguration().catch((e: unknown) => e);
      warn.mockRestore();
      expect(error).toBeInstanceOf(WebexBadResponseError);
    });

    describe('the discovered token endpoint', () => {
      // Characters that RFC 6749 §2.3.1 form-encodes before the pair goes into Basic.
      const ODD = { clientId: 'spec client:1', clientSecret: 'se cr:et/+&%é' };
      async function makeOdd() {
        const made = await webexServiceFor(
          emulator.apiBaseUrl,
          { ...ODD, scopes: ['spark:people_read', 'spark:rooms_read'] },
          {},
          savedEnv,
        );
        close = made.close;
        return made.service;
      }

      it('with client_secret_basic, sends the form-encoded id and secret in a Basic header and not in the body', async () => {
        const { seen, origin } = await standIn(TOKEN_ANSWER);
        const service = await makeOdd();
        const url = `${origin}/idb/oauth2/v1/access_token`;

        const answer = await service.exchangeCode('the-code', 'v'.repeat(43), { url, auth: 'client_secret_basic' });

        expect(answer).toMatchObject({ accessToken: 'oidc-access', refreshToken: 'oidc-refresh' });
        expect(seen).toHaveLength(1);
        const [request] = seen;
        expect(request).toMatchObject({
          method: 'POST',
          url: '/idb/oauth2/v1/access_token',
          contentType: 'application/x-www-form-urlencoded',
        });
        expect(request.authorization).toBe(
          `Basic ${Buffer.from('spec+client%3A1:se+cr%3Aet%2F%2B%26%25%C3%A9').toString('base64')}`,
        );
        const pair = Buffer.from(request.authorization!.slice('Basic '.length), 'base64').toString();
        expect(pair.split(':').map((part) => decodeURIComponent(part.replace(/\+/g, ' ')))).toEqual([
          ODD.clientId,
          ODD.clientSecret,
        ]);
        const body = new URLSearchParams(request.body);
        expect(body.has('client_secret')).toBe(false);
        expect(body.has('client_id')).toBe(false);
        expect(Object.fromEntries(body)).toEqual({
          grant_type: 'authorization_code',
          code: 'the-code',
          redirect_uri: REDIRECT_URI,
          code_verifier: 'v'.repeat(43),
        });
        // The discovered endpoint, not Webex's /access_token at the API base.
        expect(emulator.controls.stats().tokenGrants).toEqual({ authorization_code: 0, refresh_token: 0 });
      });

      it('with client_secret_post, sends the id and secret in the body and no Authorization header', async () => {
        const { seen, origin } = await standIn(TOKEN_ANSWER);
        const service = await makeOdd();

        await service.exchangeCode('the-code', 'v'.repeat(43), {
          url: `${origin}/idb/oauth2/v1/access_token`,
          auth: 'client_secret_post',
        });

        expect(seen).toHaveLength(1);
        expect(seen[0].authorization).toBeUndefined();
        const body = new URLSearchParams(seen[0].body);
        expect(body.get('client_id')).toBe(ODD.clientId);
        expect(body.get('client_secret')).toBe(ODD.clientSecret);
        expect(body.get('grant_type')).toBe('authorization_code');
        expect(body.get('code')).toBe('the-code');
      });

      it('refreshes at the discovered endpoint too', async () => {
        const { seen, origin } = await standIn(TOKEN_ANSWER);
        const service = await make();

        await service.refreshTokens('the-refresh-token', {
          url: `${origin}/idb/oauth2/v1/access_token`,
          auth: 'client_secret_basic',
        });

        expect(seen[0].authorization).toMatch(/^Basic /);
        expect(Object.fromEntries(new URLSearchParams(seen[0].body))).toEqual({
          grant_type: 'refresh_token',
          refresh_token: 'the-refresh-token',
        });
      });

      it('gives back the id_token of the token answer as idToken, and none when there is none', async () => {
        const { origin } = await standIn(TOKEN_ANSWER);
        const service = await make();
        const endpoint = { url: `${origin}/idb/oauth2/v1/access_token`, auth: 'client_secret_basic' } as const;

        await expect(service.exchangeCode('c', 'v'.repeat(43), endpoint)).resolves.toMatchObject({
          idToken: 'header.payload.signature',
        });
        await upstream!.close();
        const { id_token: _none, ...plain } = TOKEN_ANSWER;
        const { origin: plainOrigin } = await standIn(plain);
        const answer = await service.exchangeCode('c', 'v'.repeat(43), { ...endpoint, url: `${plainOrigin}/token` });
        expect(answer).not.toHaveProperty('idToken');
      });
    });

    it('asks UserInfo with the bearer token, and reads sub, name and email', async () => {
      const { seen, origin } = await standIn({
        sub: 'person-uuid-1',
        name: 'Alice Sandbox',
        email: 'alice@example.test',
        email_verified: true,
        locale: 'en_US',
      });
      const service = await make();

      await expect(service.userInfo(`${origin}/idb/oauth2/v1/userinfo`, 'the-access-token')).resolves.toEqual({
        sub: 'person-uuid-1',
        name: 'Alice Sandbox',
        email: 'alice@example.test',
        email_verified: true,
      });
      expect(seen).toEqual([
        expect.objectContaining({
          method: 'GET',
          url: '/idb/oauth2/v1/userinfo',
          authorization: 'Bearer the-access-token',
        }),
      ]);
    });

    it('refuses a UserInfo answer without sub as a bad response', async () => {
      const { origin } = await standIn({ name: 'Nobody' });
      const service = await make();
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      const error = await service.userInfo(`${origin}/userinfo`, 'the-access-token').catch((e: unknown) => e);
      warn.mockRestore();
      expect(error).toBeInstanceOf(WebexBadResponseError);
    });

    it('fetches the key set at jwks_uri and gives it back as sent', async () => {
      const keySet = { keys: [{ kty: 'RSA', kid: 'key-1', use: 'sig', alg: 'RS256', n: 'AQAB-n', e: 'AQAB' }] };
      const { seen, origin } = await standIn(keySet);
      const service = await make();

      await expect(service.signingKeys(`${origin}/idb/oauth2/v2/keys/verificationjwk`)).resolves.toEqual(keySet);
      expect(seen).toEqual([
        expect.objectContaining({
          method: 'GET',
          url: '/idb/oauth2/v2/keys/verificationjwk',
          authorization: undefined,
        }),
      ]);
    });

    it('fetches the emulator’s key set from its discovery document', async () => {
      const service = await make();
      const { jwks_uri } = await service.openIdConfiguration();
      await expect(service.signingKeys(jwks_uri)).resolves.toEqual({
        keys: [expect.objectContaining({ kty: 'RSA', kid: expect.any(String) })],
      });
    });
  });
});
