import type { FaultSpec, IssuedTokens, WebexEmulator } from './emulator.types';
import { CLIENT, authorizeUrl, callApi, exchangeCode, get, refresh, startTestEmulator } from './sandbox.test-helpers';

async function timed<T>(run: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await run();
  return [result, performance.now() - started];
}

describe('Faults and latency', () => {
  let emulator: WebexEmulator;
  let alice: IssuedTokens;
  const rooms = (): Promise<Response> => callApi(emulator, '/rooms', alice);

  beforeAll(async () => {
    emulator = await startTestEmulator();
    alice = emulator.controls.issueTokens('alice', CLIENT.clientId);
  });
  afterAll(() => emulator.close());
  afterEach(() => emulator.controls.reset());

  it("answers a 'status' fault with that status, a Webex body and Retry-After, once", async () => {
    emulator.controls.injectFault({ route: 'rooms', kind: 'status', status: 503, retryAfterSeconds: 30 });

    const res = await rooms();
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('30');
    expect(await res.json()).toEqual({
      message: expect.any(String),
      errors: [{ description: expect.any(String) }],
      trackingId: res.headers.get('trackingid'),
    });
    expect((await rooms()).status).toBe(200);
  });

  it("defaults a 'status' fault to 500 without Retry-After", async () => {
    emulator.controls.injectFault({ route: 'people/me', kind: 'status' });
    const res = await callApi(emulator, '/people/me', alice);

    expect(res.status).toBe(500);
    expect(res.headers.get('retry-after')).toBeNull();
  });

  it("answers a 'status' fault on the token route in Webex's REST shape by default", async () => {
    emulator.controls.injectFault({ route: 'token', kind: 'status', status: 400 });
    const res = await refresh(emulator, alice.refresh_token);

    expect(res.status).toBe(400);
    const body = (await res.json()) as { message: string };
    expect(body).toEqual({
      message: expect.any(String),
      errors: [{ description: body.message }],
      trackingId: res.headers.get('trackingid'),
    });
  });

  it("answers a 'status' fault on the token route OAuth-shaped when set so", async () => {
    emulator.controls.setTokenErrorShape('oauth');
    emulator.controls.injectFault({ route: 'token', kind: 'status', status: 502 });
    const res = await refresh(emulator, alice.refresh_token);

    expect(res.status).toBe(502);
    expect(await res.json()).toEqual({
      error: 'server_error',
      error_description: expect.any(String),
      trackingID: res.headers.get('trackingid'),
    });
  });

  it("answers a 'status' fault on authorize with an HTML page", async () => {
    emulator.controls.injectFault({ route: 'authorize', kind: 'status', status: 503 });
    const res = await get(authorizeUrl(emulator));

    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('location')).toBeNull();
  });

  it("answers 'rate-limit' with 429 and Retry-After, 1 s by default", async () => {
    emulator.controls.injectFault({ route: 'rooms', kind: 'rate-limit' });
    emulator.controls.injectFault({ route: 'rooms', kind: 'rate-limit', retryAfterSeconds: 7 });

    const first = await rooms();
    const second = await rooms();
    expect([first.status, first.headers.get('retry-after')]).toEqual([429, '1']);
    expect([second.status, second.headers.get('retry-after')]).toEqual([429, '7']);
    expect(((await second.json()) as { trackingId: string }).trackingId).toBe(second.headers.get('trackingid'));
  });

  it("answers 'slow' normally after the delay", async () => {
    emulator.controls.injectFault({ route: 'rooms', kind: 'slow', delayMs: 250 });
    const [res, ms] = await timed(rooms);

    expect(res.status).toBe(200);
    expect(ms).toBeGreaterThanOrEqual(240);
    expect(((await res.json()) as { items: unknown[] }).items).toHaveLength(7);
  });

  it("never answers 'hang', until the client gives up", async () => {
    emulator.controls.injectFault({ route: 'people/me', kind: 'hang' });
    const hung = fetch(`${emulator.apiBaseUrl}/people/me`, {
      headers: { authorization: `Bearer ${alice.access_token}` },
      signal: AbortSignal.timeout(200),
    });

    await expect(hung).rejects.toThrow(/aborted|timeout/i);
    expect((await callApi(emulator, '/people/me', alice)).status).toBe(200);
  });

  it("drops the connection on 'reset'", async () => {
    emulator.controls.injectFault({ route: 'rooms', kind: 'reset' });

    await expect(rooms()).rejects.toThrow('fetch failed');
    expect((await rooms()).status).toBe(200);
  });

  it("answers 'non-json' with a 200 HTML page", async () => {
    emulator.controls.injectFault({ route: 'people/me', kind: 'non-json' });
    const res = await callApi(emulator, '/people/me', alice);

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    await expect(res.clone().json()).rejects.toThrow();
    expect(await res.text()).toMatch(/^<!doctype html>/);
  });

  it('affects as many requests as times says, and Infinity until cleared', async () => {
    emulator.controls.injectFault({ route: 'rooms', kind: 'status', status: 500, times: 2 });
    expect([(await rooms()).status, (await rooms()).status, (await rooms()).status]).toEqual([500, 500, 200]);

    emulator.controls.injectFault({ route: 'rooms', kind: 'status', status: 503, times: Infinity });
    for (let i = 0; i < 5; i++) expect((await rooms()).status).toBe(503);
    emulator.controls.clearFaults();
    expect((await rooms()).status).toBe(200);
  });

  it('applies a token fault with grantType only to that grant', async () => {
    emulator.controls.injectFault({ route: 'token', kind: 'status', status: 503, grantType: 'refresh_token' });

    const exchange = await exchangeCode(emulator, 'made-up');
    expect(exchange.status).toBe(400);
    expect((await refresh(emulator, alice.refresh_token)).status).toBe(503);
    expect((await refresh(emulator, alice.refresh_token)).status).toBe(200);
  });

  it('applies the first queued fault that matches the request', async () => {
    emulator.controls.injectFault({ route: 'rooms', kind: 'status', status: 500 });
    emulator.controls.injectFault({ route: 'people/me', kind: 'status', status: 502 });
    emulator.controls.injectFault({ route: 'people/me', kind: 'status', status: 504 });

    expect((await callApi(emulator, '/people/me', alice)).status).toBe(502);
    expect((await callApi(emulator, '/people/me', alice)).status).toBe(504);
    expect((await rooms()).status).toBe(500);
  });

  it('counts faulted requests in the stats', async () => {
    emulator.controls.injectFault({ route: 'rooms', kind: 'status', times: 2 });
    await rooms();
    await rooms();

    expect(emulator.controls.stats().requests.rooms).toBe(2);
  });

  it('adds latency to one route, or to every route, until set to 0', async () => {
    emulator.controls.setLatency(200, 'rooms');
    const [, slowRooms] = await timed(rooms);
    const [, fastMe] = await timed(() => callApi(emulator, '/people/me', alice));
    expect(slowRooms).toBeGreaterThanOrEqual(190);
    expect(fastMe).toBeLessThan(150);

    emulator.controls.setLatency(200);
    const [, slowMe] = await timed(() => callApi(emulator, '/people/me', alice));
    expect(slowMe).toBeGreaterThanOrEqual(190);

    emulator.controls.setLatency(0);
    const [, fastAgain] = await timed(rooms);
    expect(fastAgain).toBeLessThan(150);
  });

  it.each<[string, unknown]>([
    ['an unknown route', { route: 'messages', kind: 'status' }],
    ['an unknown kind', { route: 'rooms', kind: 'explode' }],
    ['a 2xx status', { route: 'rooms', kind: 'status', status: 200 }],
    ['a fractional status', { route: 'rooms', kind: 'status', status: 500.5 }],
    ['times 0', { route: 'rooms', kind: 'status', times: 0 }],
    ['negative delay', { route: 'rooms', kind: 'slow', delayMs: -1 }],
    ['grantType off the token route', { route: 'rooms', kind: 'status', grantType: 'refresh_token' }],
    ['an unknown grantType', { route: 'token', kind: 'status', grantType: 'password' }],
    ['an unknown field', { route: 'rooms', kind: 'status', time: 3 }],
    ['not an object', 'rooms'],
  ])('refuses a fault with %s', (_case, spec) => {
    expect(() => emulator.controls.injectFault(spec as FaultSpec)).toThrow();
    emulator.controls.clearFaults();
  });

  it.each([-1, 600_001, 1.5, Number.NaN])('refuses latency of %p ms', (ms) => {
    expect(() => emulator.controls.setLatency(ms)).toThrow();
  });
});
