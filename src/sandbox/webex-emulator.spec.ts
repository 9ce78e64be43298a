import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EmulatorOptions, IssuedTokens, WebexEmulator } from './emulator.types';
import { SEED_USER_HANDLES, startWebexEmulator } from './index';
import {
  CLIENT,
  CONSENT_TX,
  REDIRECT_URI,
  authorizeUrl,
  callApi,
  exchangeCode,
  get,
  nextLink,
  pkcePair,
  postForm,
  startTestEmulator,
} from './sandbox.test-helpers';

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** node:http, so a test can send what fetch would refuse or rewrite. */
function raw(
  emulator: WebexEmulator,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: emulator.port, method, path, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe(startWebexEmulator.name, () => {
  let emulator: WebexEmulator;
  let alice: IssuedTokens;

  beforeAll(async () => {
    emulator = await startTestEmulator();
    alice = emulator.controls.issueTokens('alice', CLIENT.clientId);
  });
  afterAll(() => emulator.close());

  it('runs the whole code flow with PKCE: consent page, code, token, people/me, rooms', async () => {
    const { verifier, challenge } = pkcePair();
    const page = await get(
      authorizeUrl(emulator, { state: 'xyz', code_challenge: challenge, code_challenge_method: 'S256' }),
    );
    const tx = CONSENT_TX.exec(await page.text())?.[1] ?? '';
    const consent = await postForm(`${emulator.apiBaseUrl}/authorize`, { tx, user: 'carol', decision: 'accept' });
    const callback = new URL(consent.headers.get('location') ?? '');
    expect(`${callback.origin}${callback.pathname}`).toBe(REDIRECT_URI);
    expect(callback.searchParams.get('state')).toBe('xyz');

    const tokenRes = await exchangeCode(emulator, callback.searchParams.get('code') ?? '', { code_verifier: verifier });
    expect(tokenRes.status).toBe(200);
    const tokens = (await tokenRes.json()) as IssuedTokens;

    const me = (await (await callApi(emulator, '/people/me', tokens)).json()) as {
      displayName: string;
      emails: string[];
    };
    expect(me).toMatchObject({ displayName: 'Carol Busy', emails: ['carol@example.com'] });

    const rooms = await callApi(emulator, '/rooms?max=50&sortBy=lastactivity', tokens);
    expect(((await rooms.json()) as { items: unknown[] }).items).toHaveLength(50);
    expect(nextLink(rooms)).toMatch(new RegExp(`^${emulator.apiBaseUrl}/rooms\\?cursor=`));
  });

  it('reports where it listens', () => {
    expect(emulator.origin).toBe(`http://127.0.0.1:${emulator.port}`);
    expect(emulator.apiBaseUrl).toBe(`${emulator.origin}/v1`);
    expect(emulator.port).toBeGreaterThan(0);
  });

  it('lists the scopes its API routes check, sorted', () => {
    expect(emulator.scopes).toEqual(expect.arrayContaining(['spark:people_read', 'spark:rooms_read']));
    expect([...emulator.scopes].sort()).toEqual(emulator.scopes);
    expect(emulator.scopes).not.toContain('spark:kms');
  });

  it('seeds the same four users, with Webex-shaped ids, on every start', async () => {
    const again = await startTestEmulator();
    try {
      expect(again.users).toEqual(emulator.users);
    } finally {
      await again.close();
    }
    expect(emulator.users.map((u) => u.handle)).toEqual([...SEED_USER_HANDLES]);
    expect(emulator.users.map((u) => u.roomCount)).toEqual([7, 0, 2600, 4]);
    expect(emulator.users.map((u) => u.email)).toEqual(SEED_USER_HANDLES.map((h) => `${h}@example.com`));
    expect(emulator.users[3].displayName).toBe(`<img src=x onerror=alert(1)> Mallory & "Friends" 'Quoted'`);
    for (const user of emulator.users) {
      expect(Buffer.from(user.id, 'base64').toString()).toMatch(
        /^ciscospark:\/\/us\/PEOPLE\/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
    }
  });

  it('sends one tracking id per response, in the header and in the error body', async () => {
    const first = await callApi(emulator, '/people/me', 'made-up');
    const second = await callApi(emulator, '/people/me', 'made-up');
    const id = first.headers.get('trackingid');

    expect(id).toMatch(/^ROUTER_[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
    expect(((await first.json()) as { trackingId: string }).trackingId).toBe(id);
    expect(second.headers.get('trackingid')).not.toBe(id);
    expect((await callApi(emulator, '/people/me', alice)).headers.get('trackingid')).toMatch(/^ROUTER_/);
  });

  it('answers an unknown /v1 route with a Webex-shaped 404', async () => {
    const res = await callApi(emulator, '/messages', alice);

    expect(res.status).toBe(404);
    expect(res.headers.get('x-powered-by')).toBeNull();
    expect(await res.json()).toEqual({
      message: expect.any(String),
      errors: [{ description: expect.any(String) }],
      trackingId: res.headers.get('trackingid'),
    });
  });

  it('counts TCP connections', async () => {
    emulator.controls.reset();
    await raw(emulator, 'GET', '/v1/people/me');
    await raw(emulator, 'GET', '/v1/people/me');

    expect(emulator.controls.stats().connections).toBe(2);
  });

  describe('with hostile or broken input', () => {
    const bearer = (): Record<string, string> => ({ authorization: `Bearer ${alice.access_token}` });
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const manyParams = Array.from({ length: 200 }, (_, i) => `p${i}=1`).join('&');

    it.each<[string, string, string, () => Record<string, string>, string | undefined]>([
      ['a bracketed client_id', 'GET', '/v1/authorize?client_id[]=x', () => ({}), undefined],
      ['broken percent-encoding', 'GET', '/v1/authorize?client_id=%E0%A4%A&redirect_uri=%', () => ({}), undefined],
      [
        '__proto__ parameters',
        'GET',
        `/v1/authorize?__proto__=x&constructor=y&client_id=${CLIENT.clientId}`,
        () => ({}),
        undefined,
      ],
      ['a 5,000-digit max', 'GET', `/v1/rooms?max=${'9'.repeat(5000)}`, bearer, undefined],
      ['unicode in the query', 'GET', '/v1/rooms?type=%F0%9F%98%80&sortBy=%E2%80%AE', bearer, undefined],
      ['a unicode path', 'GET', '/v1/r%C3%B6%C3%B6ms', bearer, undefined],
      ['a NUL in the path', 'GET', '/v1/rooms%00', bearer, undefined],
      ['a bare /v1', 'GET', '/v1', bearer, undefined],
      ['DELETE on rooms', 'DELETE', '/v1/rooms', bearer, undefined],
      [
        'an 8 kB bearer token',
        'GET',
        '/v1/people/me',
        () => ({ authorization: `Bearer ${'a'.repeat(8000)}` }),
        undefined,
      ],
      [
        'garbage Basic credentials',
        'POST',
        '/v1/access_token',
        () => ({ ...form, authorization: 'Basic %%%not-base64' }),
        'grant_type=refresh_token&refresh_token=x',
      ],
      [
        'Basic with no colon',
        'POST',
        '/v1/access_token',
        () => ({ ...form, authorization: 'Basic YWxpY2U=' }),
        'grant_type=refresh_token&refresh_token=x',
      ],
      [
        'a 20 kB token body',
        'POST',
        '/v1/access_token',
        () => form,
        `grant_type=refresh_token&refresh_token=${'x'.repeat(20_000)}`,
      ],
      ['200 form parameters', 'POST', '/v1/access_token', () => form, manyParams],
      [
        'an unsupported charset',
        'POST',
        '/v1/access_token',
        () => ({ 'content-type': 'application/x-www-form-urlencoded; charset=ebcdic' }),
        'grant_type=x',
      ],
      ['a corrupt gzip body', 'POST', '/v1/access_token', () => ({ ...form, 'content-encoding': 'gzip' }), 'not gzip'],
      [
        'an array-valued grant_type',
        'POST',
        '/v1/access_token',
        () => form,
        'grant_type=refresh_token&grant_type=authorization_code',
      ],
      ['a JSON consent form', 'POST', '/v1/authorize', () => ({ 'content-type': 'application/json' }), '{"tx":"x"}'],
      ['a consent form with repeated tx', 'POST', '/v1/authorize', () => form, 'tx=a&tx=b&decision=accept'],
      [
        'malformed control JSON on a disabled route',
        'POST',
        '/_emulator/faults',
        () => ({ 'content-type': 'application/json' }),
        '{',
      ],
    ])('answers %s with a 4xx and keeps serving', async (_case, method, path, headers, body) => {
      const res = await raw(emulator, method, path, headers(), body);

      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect((await callApi(emulator, '/people/me', alice)).status).toBe(200);
    });

    it('answers a HEAD without a body', async () => {
      const res = await raw(emulator, 'HEAD', '/v1/rooms', bearer());

      expect(res.status).toBe(200);
      expect(res.body).toBe('');
    });
  });

  it('closes promptly with a hung request and idle keep-alive sockets open', async () => {
    const closing = await startTestEmulator();
    const tokens = closing.controls.issueTokens('alice', CLIENT.clientId);
    await callApi(closing, '/people/me', tokens);
    closing.controls.injectFault({ route: 'rooms', kind: 'hang' });
    closing.controls.injectFault({ route: 'people/me', kind: 'slow', delayMs: 60_000 });
    const outcome = (res: Promise<Response>): Promise<string> =>
      res.then(
        () => 'answered',
        () => 'failed',
      );
    const hung = outcome(callApi(closing, '/rooms', tokens));
    const slow = outcome(callApi(closing, '/people/me', tokens));
    await new Promise((resolve) => setTimeout(resolve, 50));

    const started = performance.now();
    await closing.close();

    expect(performance.now() - started).toBeLessThan(500);
    expect(await hung).toBe('failed');
    expect(await slow).toBe('failed');
    await expect(closing.close()).resolves.toBeUndefined();
    await expect(fetch(`${closing.apiBaseUrl}/people/me`)).rejects.toThrow();
  });

  it('keeps tokens and codes across a restart when given a state file (development)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wxo-emulator-'));
    const stateFile = join(dir, 'state.json');
    try {
      const first = await startTestEmulator({ stateFile });
      const tokens = first.controls.issueTokens('alice', CLIENT.clientId);
      // Saved shortly after a request, not only at close: a killed process keeps what it had.
      expect((await callApi(first, '/people/me', tokens)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 250));
      expect(readFileSync(stateFile, 'utf8')).toContain(tokens.access_token);
      await first.close();

      const second = await startTestEmulator({ stateFile });
      try {
        expect((await callApi(second, '/people/me', tokens)).status).toBe(200);
        const refreshed = await postForm(`${second.apiBaseUrl}/access_token`, {
          grant_type: 'refresh_token',
          client_id: CLIENT.clientId,
          client_secret: CLIENT.clientSecret,
          refresh_token: tokens.refresh_token,
        });
        expect(refreshed.status).toBe(200);
      } finally {
        await second.close();
      }
      // Without the file, a restart forgets every token, as before.
      const third = await startTestEmulator();
      expect((await callApi(third, '/people/me', tokens)).status).toBe(401);
      await third.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a port that is taken', async () => {
    await expect(startTestEmulator({ port: emulator.port })).rejects.toThrow(/EADDRINUSE/);
  });

  it.each<[string, Partial<EmulatorOptions>]>([
    ['no clients array', { clients: undefined }],
    ['a relative redirect URI', { clients: [{ ...CLIENT, redirectUris: ['/oauth'] }] }],
    ['a redirect URI with a fragment', { clients: [{ ...CLIENT, redirectUris: ['http://localhost/cb#x'] }] }],
    ['no redirect URIs', { clients: [{ ...CLIENT, redirectUris: [] }] }],
    ['a scope with a space', { clients: [{ ...CLIENT, scopes: ['spark:people_read spark:rooms_read'] }] }],
    ['an empty secret', { clients: [{ ...CLIENT, clientSecret: '' }] }],
    ['a client registered twice', { clients: [CLIENT, CLIENT] }],
    ['an unknown autoConsentUser', { autoConsentUser: 'eve' }],
    ['port 70000', { port: 70_000 }],
    ['a negative token lifetime', { accessTokenTtlSeconds: -1 }],
  ])('refuses to start with %s', async (_case, options) => {
    await expect(startWebexEmulator({ clients: [CLIENT], ...options })).rejects.toThrow();
  });

  it('logs start and faults only, never per request, and never a secret, code or token', async () => {
    const lines: string[] = [];
    const logged = await startTestEmulator({ log: (line) => lines.push(line) });
    try {
      const tx = CONSENT_TX.exec(await (await get(authorizeUrl(logged))).text())?.[1] ?? '';
      const consent = await postForm(`${logged.apiBaseUrl}/authorize`, { tx, user: 'alice', decision: 'accept' });
      const code = new URL(consent.headers.get('location') ?? '').searchParams.get('code') ?? '';
      logged.controls.injectFault({ route: 'people/me', kind: 'status', status: 503 });
      const tokens = (await (await exchangeCode(logged, code)).json()) as IssuedTokens;
      await callApi(logged, '/people/me', tokens);
      await callApi(logged, '/people/me', tokens);

      expect(lines).toHaveLength(2);
      expect(lines[0]).toContain(logged.origin);
      expect(lines[1]).toMatch(/people\/me.*status 503/);
      for (const secret of [tx, code, tokens.access_token, tokens.refresh_token, CLIENT.clientSecret]) {
        expect(lines.join('\n')).not.toContain(secret);
      }
    } finally {
      await logged.close();
    }
  });
});
