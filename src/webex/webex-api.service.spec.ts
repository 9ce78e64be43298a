import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { configModule } from '../config';
import { startWebexEmulator, type WebexEmulator } from '../sandbox';
import { WebexApiService } from './webex-api.service';
import {
  WebexBadResponseError,
  WebexForbiddenError,
  WebexRateLimitedError,
  WebexRejectedError,
  WebexUnauthorizedError,
  WebexUnavailableError,
} from './webex.errors';
import { WebexModule } from './webex.module';

const CLIENT = { clientId: 'spec-client', clientSecret: 'spec-secret-value' };
const REDIRECT_URI = 'http://127.0.0.1:8080/oauth';

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

  async function serviceWith(env: Record<string, string> = {}) {
    const authInitUrl = new URL(`${emulator.apiBaseUrl}/authorize`);
    authInitUrl.search = new URLSearchParams({
      client_id: CLIENT.clientId,
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope: 'spark:people_read spark:rooms_read',
    }).toString();
    process.env = { ...savedEnv, NODE_ENV: 'test', AUTH_INIT_URL: authInitUrl.href, CLIENT_SECRET: CLIENT.clientSecret, ...env };
    const moduleRef = await Test.createTestingModule({ imports: [configModule(), WebexModule] }).compile();
    await moduleRef.init();
    const service = moduleRef.get(WebexApiService);
    return { service, close: () => moduleRef.close() };
  }

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

  const tokenFor = (handle: string, scopes?: string[]) => emulator.controls.issueTokens(handle, CLIENT.clientId, scopes).access_token;

  it('fetches the signed-in person', async () => {
    const service = await make();
    await expect(service.getMe(tokenFor('alice'))).resolves.toMatchObject({ displayName: 'Alice Sandbox', id: expect.any(String) });
  });

  it('lists every room newest activity first, following Link pages', async () => {
    const service = await make({ ROOMS_PAGE_SIZE: '3' });
    const { rooms, truncated } = await service.listRooms(tokenFor('alice'));
    expect(rooms).toHaveLength(7);
    expect(truncated).toBe(false);
    expect(emulator.controls.stats().requests.rooms).toBe(3);
    const times = rooms.map((r) => Date.parse(r.lastActivity!));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it('stops at the configured cap and says there were more', async () => {
    const service = await make({ ROOMS_PAGE_SIZE: '1000', ROOMS_LIMIT: '2000' });
    const { rooms, truncated } = await service.listRooms(tokenFor('carol'));
    expect(rooms).toHaveLength(2000);
    expect(truncated).toBe(true);
    expect(emulator.controls.stats().requests.rooms).toBe(2);
  });

  it('lists nothing for a person with no rooms', async () => {
    const service = await make();
    await expect(service.listRooms(tokenFor('bob'))).resolves.toEqual({ rooms: [], truncated: false });
  });

  it('reuses connections to Webex (keep-alive)', async () => {
    const service = await make();
    const token = tokenFor('alice');
    for (let i = 0; i < 10; i++) await service.getMe(token);
    expect(emulator.controls.stats().connections).toBe(1);
  });

  it('refreshes tokens, and picks up a rotated refresh token', async () => {
    const service = await make();
    emulator.controls.setRotateRefreshTokens(true);
    const issued = emulator.controls.issueTokens('alice', CLIENT.clientId);
    const fresh = await service.refreshTokens(issued.refresh_token);
    expect(fresh.refreshToken).not.toBe(issued.refresh_token);
    expect(fresh.accessTokenExpiresAt).toBeGreaterThan(Date.now());
    await expect(service.getMe(fresh.accessToken)).resolves.toMatchObject({ displayName: 'Alice Sandbox' });
    await expect(service.refreshTokens(issued.refresh_token)).rejects.toMatchObject({ oauthError: 'invalid_grant' });
  });

  it('reports a refused code as invalid_grant', async () => {
    const service = await make();
    const error = await service.exchangeCode('no-such-code', 'x'.repeat(43)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebexRejectedError);
    expect(error).toMatchObject({ oauthError: 'invalid_grant', status: 400 });
  });

  it('maps an expired token to unauthorized and a missing scope to forbidden, with the trackingId', async () => {
    const service = await make();
    const token = tokenFor('alice');
    emulator.controls.expireAccessTokens({ handle: 'alice' });
    const expired = await service.getMe(token).catch((e: unknown) => e);
    expect(expired).toBeInstanceOf(WebexUnauthorizedError);
    expect((expired as WebexUnauthorizedError).trackingId).toMatch(/^ROUTER_/);
    await expect(service.listRooms(tokenFor('alice', ['spark:people_read']))).rejects.toBeInstanceOf(WebexForbiddenError);
  });

  it.each([
    ['a 500', { kind: 'status', status: 500 }, WebexUnavailableError],
    ['a 503', { kind: 'status', status: 503 }, WebexUnavailableError],
    ['a 429', { kind: 'rate-limit', retryAfterSeconds: 42 }, WebexRateLimitedError],
    ['a reset connection', { kind: 'reset' }, WebexUnavailableError],
    ['a body that is not JSON', { kind: 'non-json' }, WebexBadResponseError],
    ['a 400', { kind: 'status', status: 400 }, WebexRejectedError],
  ] as const)('maps %s on /people/me to %p', async (_case, fault, expected) => {
    const service = await make();
    const token = tokenFor('alice');
    emulator.controls.injectFault({ route: 'people/me', times: Infinity, ...fault });
    const error = await service.getMe(token).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(expected);
    if (error instanceof WebexRateLimitedError) expect(error.retryAfterSeconds).toBe(42);
  });

  it('gives up on a hung Webex within the time budget', async () => {
    const service = await make({ WEBEX_TIMEOUT_MS: '300' });
    const token = tokenFor('alice');
    emulator.controls.injectFault({ route: 'rooms', kind: 'hang', times: Infinity });
    const started = Date.now();
    await expect(service.listRooms(token)).rejects.toBeInstanceOf(WebexUnavailableError);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('maps token endpoint failures and never logs the secret, the code or a token', async () => {
    const service = await make();
    const lines: string[] = [];
    const spies = (['log', 'warn', 'error', 'debug', 'verbose'] as const).map((level) =>
      jest.spyOn(Logger.prototype, level).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' '))),
    );
    const issued = emulator.controls.issueTokens('alice', CLIENT.clientId);
    emulator.controls.injectFault({ route: 'token', kind: 'status', status: 502, times: 1 });
    await expect(service.exchangeCode('the-secret-code', 'verifier-value-'.repeat(3))).rejects.toBeInstanceOf(WebexUnavailableError);
    emulator.controls.injectFault({ route: 'token', kind: 'non-json', times: 1 });
    await expect(service.refreshTokens(issued.refresh_token)).rejects.toBeInstanceOf(WebexBadResponseError);
    await service.getMe(issued.access_token);
    spies.forEach((spy) => spy.mockRestore());

    const logged = lines.join('\n');
    expect(logged).toMatch(/POST \/access_token/);
    for (const secret of [CLIENT.clientSecret, 'the-secret-code', 'verifier-value-', issued.refresh_token, issued.access_token]) {
      expect(logged).not.toContain(secret);
    }
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
      await expect(service.listRooms('token')).rejects.toBeInstanceOf(WebexBadResponseError);
      expect(seen).toHaveLength(1);
    } finally {
      await new Promise((resolve) => upstream.close(resolve));
    }
  });
});
