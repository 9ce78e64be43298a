import type { EmulatorStats, IssuedTokens, WebexEmulator } from './emulator.types';
import { CLIENT, authorize, callApi, exchangeCode, get, refresh, startTestEmulator } from './sandbox.test-helpers';

function control(emulator: WebexEmulator, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${emulator.origin}/_emulator${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** The stats' request counts, all 0: every route the emulator has. */
function zeroes(stats: EmulatorStats): Record<string, number> {
  return Object.fromEntries(Object.keys(stats.requests).map((route) => [route, 0]));
}

const ROUTES: [string, string][] = [
  ['POST', '/reset'],
  ['POST', '/faults'],
  ['DELETE', '/faults'],
  ['POST', '/latency'],
  ['POST', '/token-lifetimes'],
  ['POST', '/rotate-refresh-tokens'],
  ['POST', '/token-error-shape'],
  ['POST', '/expire-access-tokens'],
  ['POST', '/revoke-tokens'],
  ['GET', '/stats'],
  ['POST', '/tokens'],
];

describe('Test controls', () => {
  describe('when testControls is off', () => {
    let emulator: WebexEmulator;
    beforeAll(async () => {
      emulator = await startTestEmulator();
    });
    afterAll(() => emulator.close());

    it.each(ROUTES)('answers %s %s with the same 404 as any unknown path', async (method, path) => {
      const res = await control(
        emulator,
        method,
        path,
        method === 'POST' ? { route: 'rooms', kind: 'status' } : undefined,
      );
      const unknown = await fetch(`${emulator.origin}/no/such/path`);
      const strip = (body: unknown) => ({ ...(body as object), trackingId: undefined });

      expect(res.status).toBe(404);
      expect(strip(await res.json())).toEqual(strip(await unknown.json()));
      expect(emulator.controls.stats().requests.rooms).toBe(0);
    });

    it('has not queued anything through the refused routes', async () => {
      const tokens = emulator.controls.issueTokens('alice', CLIENT.clientId);
      expect((await callApi(emulator, '/rooms', tokens)).status).toBe(200);
    });
  });

  describe('when testControls is on', () => {
    let emulator: WebexEmulator;
    let alice: IssuedTokens;
    beforeAll(async () => {
      emulator = await startTestEmulator({ testControls: true });
      alice = emulator.controls.issueTokens('alice', CLIENT.clientId);
    });
    afterAll(() => emulator.close());
    afterEach(() => emulator.controls.reset());

    it('queues faults, with times -1 meaning until cleared, and clears them', async () => {
      expect(
        (await control(emulator, 'POST', '/faults', { route: 'rooms', kind: 'status', status: 503, times: -1 })).status,
      ).toBe(200);
      expect((await callApi(emulator, '/rooms', alice)).status).toBe(503);
      expect((await callApi(emulator, '/rooms', alice)).status).toBe(503);

      expect((await control(emulator, 'DELETE', '/faults')).status).toBe(200);
      expect((await callApi(emulator, '/rooms', alice)).status).toBe(200);
    });

    it('takes times null as once', async () => {
      await control(emulator, 'POST', '/faults', {
        route: 'rooms',
        kind: 'rate-limit',
        times: null,
        retryAfterSeconds: 2,
      });

      expect((await callApi(emulator, '/rooms', alice)).status).toBe(429);
      expect((await callApi(emulator, '/rooms', alice)).status).toBe(200);
    });

    it('sets latency', async () => {
      await control(emulator, 'POST', '/latency', { ms: 150, route: 'people/me' });
      const started = performance.now();
      await callApi(emulator, '/people/me', alice);

      expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    });

    it('sets token lifetimes for tokens issued afterwards', async () => {
      await control(emulator, 'POST', '/token-lifetimes', { accessTokenSeconds: 60, refreshTokenSeconds: 120 });
      const res = await control(emulator, 'POST', '/tokens', { handle: 'bob', clientId: CLIENT.clientId });

      expect(await res.json()).toMatchObject({ expires_in: 60, refresh_token_expires_in: 120, token_type: 'Bearer' });
    });

    it('turns refresh token rotation on', async () => {
      await control(emulator, 'POST', '/rotate-refresh-tokens', { enabled: true });
      const tokens = emulator.controls.issueTokens('bob', CLIENT.clientId);
      const next = (await (await refresh(emulator, tokens.refresh_token)).json()) as IssuedTokens;

      expect(next.refresh_token).not.toBe(tokens.refresh_token);
      expect((await refresh(emulator, tokens.refresh_token)).status).toBe(400);
    });

    it('sets the shape of token endpoint errors, until reset', async () => {
      await control(emulator, 'POST', '/token-error-shape', { shape: 'oauth' });
      const oauth = (await (await refresh(emulator, 'no-such-token')).json()) as Record<string, unknown>;
      await control(emulator, 'POST', '/reset');
      const rest = (await (await refresh(emulator, 'no-such-token')).json()) as Record<string, unknown>;

      expect(oauth).toMatchObject({ error: 'invalid_grant' });
      expect(rest).toMatchObject({ message: expect.any(String), errors: [expect.any(Object)] });
      expect(rest).not.toHaveProperty('error');
    });

    it("expires one user's access tokens and reports how many", async () => {
      const carol = [
        emulator.controls.issueTokens('carol', CLIENT.clientId),
        emulator.controls.issueTokens('carol', CLIENT.clientId),
      ];
      const res = await control(emulator, 'POST', '/expire-access-tokens', { handle: 'carol' });

      expect(await res.json()).toEqual({ count: 2 });
      expect((await callApi(emulator, '/people/me', carol[0])).status).toBe(401);
      expect((await callApi(emulator, '/people/me', alice)).status).toBe(200);
      expect((await refresh(emulator, carol[1].refresh_token)).status).toBe(200);
    });

    it('revokes access and refresh tokens and reports how many', async () => {
      const mallory = emulator.controls.issueTokens('mallory', CLIENT.clientId);
      const res = await control(emulator, 'POST', '/revoke-tokens', { handle: 'mallory' });

      expect(await res.json()).toEqual({ count: 2 });
      expect((await callApi(emulator, '/people/me', mallory)).status).toBe(401);
      expect((await refresh(emulator, mallory.refresh_token)).status).toBe(400);
    });

    it('issues tokens with chosen scopes', async () => {
      const res = await control(emulator, 'POST', '/tokens', {
        handle: 'alice',
        clientId: CLIENT.clientId,
        scopes: ['spark:rooms_read'],
      });
      const tokens = (await res.json()) as IssuedTokens;

      expect((await callApi(emulator, '/rooms', tokens)).status).toBe(200);
      expect((await callApi(emulator, '/people/me', tokens)).status).toBe(403);
    });

    it('reports request stats and resets them', async () => {
      const code = (await authorize(emulator)).get('code') ?? '';
      await exchangeCode(emulator, code);
      await callApi(emulator, '/people/me', alice);
      await callApi(emulator, '/rooms', alice);

      const stats = (await (await control(emulator, 'GET', '/stats')).json()) as EmulatorStats;
      // Every route is listed, so routes added later show up here as 0.
      expect(stats.requests).toEqual({ ...zeroes(stats), authorize: 2, token: 1, 'people/me': 1, rooms: 1 });
      expect(stats.tokenGrants).toEqual({ authorization_code: 1, refresh_token: 0 });

      await control(emulator, 'POST', '/reset');
      expect(emulator.controls.stats()).toEqual({
        connections: 0,
        requests: zeroes(stats),
        tokenGrants: { authorization_code: 0, refresh_token: 0 },
      });
    });

    it('resets faults, latency, lifetimes and rotation but keeps issued tokens', async () => {
      emulator.controls.injectFault({ route: 'rooms', kind: 'status', times: Infinity });
      emulator.controls.setLatency(300);
      emulator.controls.setTokenLifetimes({ accessTokenSeconds: 5 });
      emulator.controls.setRotateRefreshTokens(true);

      await control(emulator, 'POST', '/reset');
      const started = performance.now();
      expect((await callApi(emulator, '/rooms', alice)).status).toBe(200);
      expect(performance.now() - started).toBeLessThan(250);
      const fresh = emulator.controls.issueTokens('bob', CLIENT.clientId);
      expect(fresh.expires_in).toBe(43_200);
      expect((await (await refresh(emulator, fresh.refresh_token)).json()) as IssuedTokens).toMatchObject({
        refresh_token: fresh.refresh_token,
      });
    });

    it.each<[string, string, unknown]>([
      ['/faults', 'POST', { route: 'rooms', kind: 'explode' }],
      ['/faults', 'POST', '{"route":'],
      ['/faults', 'POST', '[1,2]'],
      ['/faults', 'POST', '"rooms"'],
      ['/latency', 'POST', { ms: -5 }],
      ['/latency', 'POST', { ms: '100' }],
      ['/latency', 'POST', { ms: 10, route: 'messages' }],
      ['/token-lifetimes', 'POST', { accessTokenSeconds: -1 }],
      ['/token-lifetimes', 'POST', { refreshTokenSeconds: 'long' }],
      ['/rotate-refresh-tokens', 'POST', { enabled: 'yes' }],
      ['/rotate-refresh-tokens', 'POST', {}],
      ['/token-error-shape', 'POST', { shape: 'xml' }],
      ['/token-error-shape', 'POST', {}],
      ['/expire-access-tokens', 'POST', { handle: 'eve' }],
      ['/revoke-tokens', 'POST', { handle: 42 }],
      ['/tokens', 'POST', { handle: 'eve', clientId: CLIENT.clientId }],
      ['/tokens', 'POST', { handle: 'alice', clientId: 'nobody' }],
      ['/tokens', 'POST', { handle: 'alice', clientId: CLIENT.clientId, scopes: ['spark:all'] }],
      ['/tokens', 'POST', { handle: 'alice', clientId: CLIENT.clientId, scopes: 'spark:rooms_read' }],
      ['/tokens', 'POST', {}],
    ])('answers %s %s with bad input %j with 400', async (path, method, body) => {
      const res = await control(emulator, method, path, body);

      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({
        message: expect.any(String),
        trackingId: res.headers.get('trackingid'),
      });
    });

    it('keeps a bad lifetime call from changing anything', async () => {
      await control(emulator, 'POST', '/token-lifetimes', { accessTokenSeconds: 30, refreshTokenSeconds: -1 });

      expect(emulator.controls.issueTokens('bob', CLIENT.clientId).expires_in).toBe(43_200);
    });

    it('answers a body over 16 kB with 413', async () => {
      const res = await control(emulator, 'POST', '/faults', {
        route: 'rooms',
        kind: 'status',
        pad: 'x'.repeat(20_000),
      });

      expect(res.status).toBe(413);
    });

    it('does not count control calls as API requests', async () => {
      await get(`${emulator.origin}/_emulator/stats`);

      const { requests } = emulator.controls.stats();
      expect(requests).toMatchObject({ authorize: 0, token: 0, 'people/me': 0, rooms: 0 });
      expect(requests).toEqual(zeroes(emulator.controls.stats()));
    });

    it('takes faults and latency for every route the stats list, and names them when refusing one', async () => {
      const routes = Object.keys(emulator.controls.stats().requests);
      for (const route of routes) {
        expect((await control(emulator, 'POST', '/faults', { route, kind: 'status' })).status).toBe(200);
        expect((await control(emulator, 'POST', '/latency', { ms: 0, route })).status).toBe(200);
      }
      await control(emulator, 'DELETE', '/faults');

      const refused = await control(emulator, 'POST', '/faults', { route: 'messages', kind: 'status' });
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { message: string }).message).toBe(
        `route must be one of: ${routes.join(', ')}.`,
      );
    });
  });
});
