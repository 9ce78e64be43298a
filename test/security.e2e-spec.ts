import { sign } from 'cookie-signature';
import type { Store } from 'express-session';
import type { LRUCache } from 'lru-cache';
import type { IncomingMessage, ServerResponse } from 'node:http';
import request, { type Response } from 'supertest';
import type { WebexEmulator } from '../src/sandbox';
import { GrantStore, LoginStateStore, SESSION_STORE, type Grant } from '../src/session';
import type { MemoryGrantStore } from '../src/session/memory-grant.store';
import { bootApp, E2E_SESSION_SECRET, freePort, type BootedApp, type EnvOverrides } from './support/app';
import { E2E_CLIENT, E2E_HTTPS_REDIRECT_URI, portalAuthorizeUrl, startTestEmulator } from './support/emulator';
import { callbackPath, consent, followCallback, signIn, signedIn, startLogin } from './support/flow';
import { h1Of, roomTitlesOf, setCookie, textOf } from './support/html';
import { rawHeader, rawRequest } from './support/raw';

const HOME_SIGNED_OUT = 'Webex Integration example: Home';
const HOME_SIGNED_IN = 'Webex Integration example: Authenticated';
const ERROR = 'Webex Integration example: Error';
const GREETING = 'So happy to meet, Alice Sandbox!';

/** The origin of the configured redirect URI: the only place the service may send a browser, besides Webex. */
const APP_ORIGIN = new URL(E2E_CLIENT.redirectUri).origin;
const TLS_ORIGIN = new URL(E2E_HTTPS_REDIRECT_URI).origin;
const COOKIE = 'wxo.sid';
const TLS_COOKIE = '__Host-wxo.sid';

type Agent = request.Agent;

/** The session id inside a signed cookie value (`s:<id>.<signature>`, URL-encoded). */
function sessionIdOf(cookieValue: string | undefined): string | undefined {
  if (cookieValue === undefined) return undefined;
  return /^s:(.+)\.[^.]+$/.exec(decodeURIComponent(cookieValue))?.[1];
}

/** Every directive of a Content-Security-Policy header, by name. */
function cspOf(response: Response): Map<string, string[]> {
  const header = String(response.headers['content-security-policy'] ?? '');
  return new Map(
    header
      .split(';')
      .map((directive) => directive.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name, ...values]) => [name.toLowerCase(), values]),
  );
}

/**
 * helmet 8's headers as securityHeaders() (src/app.setup.ts) sets them through Nest's
 * app.useSecurityHeaders(), over plain http: helmet's defaults but for the CSP and Referrer-Policy,
 * and no HSTS (hstsOverTls sends it over TLS only).
 */
function securityHeadersOverHttp(authorizeOrigin: string): Record<string, string> {
  return {
    'content-security-policy': `default-src 'self';script-src 'self';style-src 'self';img-src 'self' data:;object-src 'none';base-uri 'none';frame-ancestors 'none';form-action 'self' ${authorizeOrigin}`,
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'origin-agent-cluster': '?1',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'x-dns-prefetch-control': 'off',
    'x-download-options': 'noopen',
    'x-frame-options': 'SAMEORIGIN',
    'x-permitted-cross-domain-policies': 'none',
    'x-xss-protection': '0',
  };
}

/**
 * Date.now moved forward by hand. The session store and the grant store read the time through
 * Date.now (lru-cache's `perf` is a wrapper around it), so the server's own clock moves too.
 */
function movableClock() {
  const realNow = Date.now.bind(Date);
  let offsetMs = 0;
  jest.spyOn(Date, 'now').mockImplementation(() => realNow() + offsetMs);
  return {
    async advance(seconds: number): Promise<void> {
      offsetMs += seconds * 1000;
      // lru-cache keeps the last reading for ttlResolution (1 ms): let that cache lapse.
      await new Promise((resolve) => setTimeout(resolve, 5));
    },
  };
}

interface SeenRedirect {
  app: string;
  request: string;
  status: number;
  location: string;
  appOrigin: string;
}

describe('Security', () => {
  let emulator: WebexEmulator;
  /** http redirect URI, no trusted proxy: the plain set-up. Listens, so raw requests can reach it. */
  let app: BootedApp;
  let appPort: number;
  /** Behind one trusted proxy (TRUST_PROXY=1), http redirect URI. */
  let proxied: BootedApp;
  const booted: BootedApp[] = [];
  const redirects: SeenRedirect[] = [];

  const codeGrants = () => emulator.controls.stats().tokenGrants.authorization_code;
  const refreshGrants = () => emulator.controls.stats().tokenGrants.refresh_token;

  /** Boots an app and records every 3xx it sends, for the suite's last test. */
  async function boot(name: string, env: EnvOverrides = {}, listenPort?: number): Promise<BootedApp> {
    const started = await bootApp(emulator, env, { listenPort });
    const appOrigin = env.AUTH_INIT_URL?.includes(encodeURIComponent(E2E_HTTPS_REDIRECT_URI)) ? TLS_ORIGIN : APP_ORIGIN;
    started.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      res.on('finish', () => {
        if (res.statusCode < 300 || res.statusCode >= 400) return;
        const location = res.getHeader('location');
        redirects.push({
          app: name,
          request: `${req.method} ${req.url}`,
          status: res.statusCode,
          location: String(location),
          appOrigin,
        });
      });
    });
    booted.push(started);
    return started;
  }

  /** The environment of an app whose redirect URI is https (as behind a TLS-terminating proxy). */
  const tlsEnv = (env: EnvOverrides = {}): EnvOverrides => ({
    AUTH_INIT_URL: portalAuthorizeUrl(emulator, { ...E2E_CLIENT, redirectUri: E2E_HTTPS_REDIRECT_URI }),
    ...env,
  });

  async function homeH1(agent: Agent): Promise<string | undefined> {
    const home = await agent.get('/');
    expect(home.status).toBe(200);
    return h1Of(home.text);
  }

  /** Signs alice in and returns the agent with the session cookie value the callback set. */
  async function signInAlice(on: BootedApp = app): Promise<{ agent: Agent; cookie: string; callback: Response }> {
    const agent = on.agent();
    const callback = await signIn(agent, emulator, 'alice');
    expect(callback.status).toBe(303);
    const cookie = setCookie(callback, COOKIE)?.value;
    expect(cookie).toBeDefined();
    return { agent, cookie: cookie ?? '', callback };
  }

  beforeAll(async () => {
    emulator = await startTestEmulator({ extraRedirectUris: [E2E_HTTPS_REDIRECT_URI] });
    appPort = await freePort();
    app = await boot('plain', {}, appPort);
    proxied = await boot('proxied', { TRUST_PROXY: '1' });
  });

  afterEach(() => {
    jest.restoreAllMocks();
    emulator.controls.reset();
  });

  afterAll(async () => {
    for (const one of booted) await one.close();
    await emulator?.close();
  });

  describe('security headers on every response', () => {
    const responses: [string, () => Promise<Response>][] = [
      ['the signed-out home page', () => app.agent().get('/')],
      ['the signed-in home page', async () => (await signInAlice()).agent.get('/')],
      ['the spaces list', async () => (await signInAlice()).agent.get('/listrooms')],
      ['the logout page', () => app.agent().get('/logout')],
      ['the not-found page', () => app.agent().get('/nope')],
      ['a JSON error', () => app.agent().get('/nope').set('Accept', 'application/json')],
      ['a sign-in error page', () => app.agent().get(callbackPath({ error: 'access_denied' }))],
      ['the cross-site refusal page', () => app.agent().post('/logout').set('Origin', 'https://evil.example')],
      ['a static stylesheet', () => app.agent().get('/static/app.css')],
      ['the Water.css stylesheet', () => app.agent().get('/static/water.css')],
      ['the favicon', () => app.agent().get('/favicon.ico')],
      ['the redirect to Webex (GET /login)', () => app.agent().get('/login')],
      ['the redirect home of a signed-out visitor', () => app.agent().get('/listrooms')],
      ['the canonical-host redirect', () => app.agent().get('/').set('Host', 'localhost:1234')],
      ['the redirect after logout', () => app.agent().post('/logout')],
      ['the redirect after sign-in (the callback)', async () => (await signInAlice()).callback],
    ];

    it.each(responses)('%s carries the CSP, nosniff and no-referrer, and names no framework', async (_name, send) => {
      const response = await send();

      const csp = cspOf(response);
      expect(csp.get('default-src')).toEqual(["'self'"]);
      expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
      expect(csp.get('object-src')).toEqual(["'none'"]);
      expect(csp.get('base-uri')).toEqual(["'none'"]);
      expect([...(csp.get('form-action') ?? [])].sort()).toEqual(["'self'", emulator.origin].sort());
      expect(String(response.headers['content-security-policy'])).not.toMatch(/unsafe-inline|unsafe-eval/);
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['referrer-policy']).toBe('no-referrer');
      expect(response.headers['x-powered-by']).toBeUndefined();
      // Plain http, no trusted proxy: HSTS would be meaningless (and is not sent).
      expect(response.headers['strict-transport-security']).toBeUndefined();
    });

    it.each(responses)('%s carries exactly helmet 8’s set, the same on every kind of answer', async (_name, send) => {
      const response = await send();

      const expected = securityHeadersOverHttp(emulator.origin);
      const sent = Object.fromEntries(Object.keys(expected).map((name) => [name, response.headers[name]]));
      expect(sent).toEqual(expected);
      expect(response.headers['x-powered-by']).toBeUndefined();
      expect(response.headers['strict-transport-security']).toBeUndefined();
    });

    it('carries them on an answer to a request the router could not decode', async () => {
      const response = await rawRequest(appPort, { target: '/static/%E0%A4%A' });

      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      const expected = securityHeadersOverHttp(emulator.origin);
      expect(Object.fromEntries(Object.keys(expected).map((name) => [name, rawHeader(response, name)]))).toEqual(
        expected,
      );
      expect(rawHeader(response, 'x-powered-by')).toBeUndefined();
    });

    const pages: [string, () => Promise<Response>][] = [
      ['the signed-out home page', () => app.agent().get('/')],
      ['the signed-in home page', async () => (await signInAlice()).agent.get('/')],
      ['the spaces list', async () => (await signInAlice()).agent.get('/listrooms')],
      [
        "mallory's spaces list (hostile titles)",
        async () => (await signedIn(app.agent(), emulator, 'mallory')).get('/listrooms'),
      ],
      ['the logout page, signed in', async () => (await signInAlice()).agent.get('/logout')],
      ['the logout page, signed out', () => app.agent().get('/logout')],
      ['the not-found page', () => app.agent().get('/nope')],
      ['a sign-in error page', () => app.agent().get(callbackPath({ code: 'c', state: 's' }))],
      ['the cross-site refusal page', () => app.agent().post('/logout').set('Sec-Fetch-Site', 'cross-site')],
    ];

    it.each(pages)('%s has no inline script, no inline style and no event handler attribute', async (_name, open) => {
      const response = await open();

      expect(response.headers['content-type']).toMatch(/text\/html/);
      // Inside tags only: escaped hostile text (&lt;script&gt;) is text, not markup.
      expect(response.text).not.toMatch(/<script\b(?![^>]*\bsrc=)/i);
      expect(response.text).not.toMatch(/<style\b/i);
      expect(response.text).not.toMatch(/<[a-z][^>]*\sstyle\s*=/i);
      expect(response.text).not.toMatch(/<[a-z][^>]*\son[a-z]+\s*=/i);
    });
  });

  describe('HSTS only over TLS', () => {
    it.each([
      ['the home page', '/'],
      ['the not-found page', '/nope'],
      ['a static file', '/static/app.css'],
    ])(
      'sends Strict-Transport-Security on %s when a trusted proxy says the request came over https',
      async (_n, path) => {
        const response = await proxied.request().get(path).set('X-Forwarded-Proto', 'https');

        expect(response.headers['strict-transport-security']).toMatch(/max-age=31536000/);
        expect(response.headers['strict-transport-security']).toMatch(/includeSubDomains/);
      },
    );

    it('sends no Strict-Transport-Security to a plain http request, even behind a trusted proxy', async () => {
      const direct = await proxied.request().get('/');
      const forwardedHttp = await proxied.request().get('/').set('X-Forwarded-Proto', 'http');

      expect(direct.headers['strict-transport-security']).toBeUndefined();
      expect(forwardedHttp.headers['strict-transport-security']).toBeUndefined();
    });

    it('ignores a spoofed X-Forwarded-Proto: https when no proxy is trusted', async () => {
      const response = await app.request().get('/').set('X-Forwarded-Proto', 'https');

      expect(response.headers['strict-transport-security']).toBeUndefined();
    });
  });

  describe('the session cookie', () => {
    function expectBrowserSessionCookie(attributes: string | undefined) {
      expect(attributes).toMatch(/(^|;)\s*HttpOnly\s*(;|$)/i);
      expect(attributes).toMatch(/(^|;)\s*SameSite=Lax\s*(;|$)/i);
      expect(attributes).toMatch(/(^|;)\s*Path=\/\s*(;|$)/i);
      expect(attributes).not.toMatch(/Domain=/i);
      // A browser-session cookie: the idle and absolute timeouts live on the server.
      expect(attributes).not.toMatch(/Expires=|Max-Age=/i);
    }

    it('is named wxo.sid over http (not connect.sid), HttpOnly, SameSite=Lax, Path=/, with no Domain and no expiry', async () => {
      const { response } = await startLogin(app.agent());

      expect(setCookie(response, 'connect.sid')).toBeUndefined();
      const cookie = setCookie(response, COOKIE);
      expect(cookie?.value).toMatch(/^s%3A/);
      expectBrowserSessionCookie(cookie?.attributes);
      expect(cookie?.attributes).not.toMatch(/Secure/i);
    });

    it('keeps those attributes on the new cookie issued at sign-in', async () => {
      const { callback } = await signInAlice();

      expectBrowserSessionCookie(setCookie(callback, COOKIE)?.attributes);
    });

    describe('with an https redirect URI', () => {
      let tls: BootedApp;
      let tlsUntrusted: BootedApp;

      beforeAll(async () => {
        tls = await boot('tls', tlsEnv({ TRUST_PROXY: '1' }));
        tlsUntrusted = await boot('tls-untrusted', tlsEnv());
      });

      it('tells browsers to upgrade any http subresource to https (CSP), which an http deployment does not', async () => {
        const csp = (response: Response) => String(response.headers['content-security-policy']).split(';');
        const https = await tls.request().get('/').set('X-Forwarded-Proto', 'https');
        const http = await app.request().get('/');

        expect(csp(https)).toContain('upgrade-insecure-requests');
        expect(csp(http)).not.toContain('upgrade-insecure-requests');
      });

      it('is named __Host-wxo.sid and Secure when a trusted proxy says https, and a whole sign-in works', async () => {
        const login = await tls.request().get('/login').set('X-Forwarded-Proto', 'https');
        expect(login.status).toBe(302);
        expect(setCookie(login, COOKIE)).toBeUndefined();
        const cookie = setCookie(login, TLS_COOKIE);
        expect(cookie?.attributes).toMatch(/(^|;)\s*Secure\s*(;|$)/i);
        expectBrowserSessionCookie(cookie?.attributes);

        const authorizeUrl = new URL(String(login.headers.location));
        expect(authorizeUrl.searchParams.get('redirect_uri')).toBe(E2E_HTTPS_REDIRECT_URI);
        const callbackUrl = await consent(authorizeUrl, 'alice');
        expect(callbackUrl.origin).toBe(TLS_ORIGIN);
        const callback = await tls
          .request()
          .get(callbackUrl.pathname + callbackUrl.search)
          .set('X-Forwarded-Proto', 'https')
          .set('Cookie', `${TLS_COOKIE}=${cookie?.value}`);
        expect(callback.status).toBe(303);
        const signedInCookie = setCookie(callback, TLS_COOKIE);
        expect(signedInCookie?.attributes).toMatch(/(^|;)\s*Secure\s*(;|$)/i);
        expectBrowserSessionCookie(signedInCookie?.attributes);

        const home = await tls
          .request()
          .get('/')
          .set('X-Forwarded-Proto', 'https')
          .set('Cookie', `${TLS_COOKIE}=${signedInCookie?.value}`);
        expect(textOf(home.text)).toContain(GREETING);
      });

      it.each([
        ['plain http', {}],
        ['a spoofed X-Forwarded-Proto: https from an untrusted client', { 'X-Forwarded-Proto': 'https' }],
      ])('sets no session cookie at all over %s when no proxy is trusted', async (_n, headers) => {
        const login = await tlsUntrusted.request().get('/login').set(headers);

        expect(login.status).toBe(302);
        expect(login.headers['set-cookie']).toBeUndefined();
      });

      it('sets no session cookie over plain http behind the trusted proxy either', async () => {
        const login = await tls.request().get('/login').set('X-Forwarded-Proto', 'http');

        expect(login.headers['set-cookie']).toBeUndefined();
      });
    });
  });

  describe('session timeouts, enforced on the server', () => {
    let idle: BootedApp;
    let absolute: BootedApp;

    beforeAll(async () => {
      idle = await boot('idle-60', { SESSION_IDLE_TIMEOUT: '60' });
      absolute = await boot('absolute-120', { SESSION_IDLE_TIMEOUT: '60', SESSION_ABSOLUTE_TIMEOUT: '120' });
    });

    it('signs out a session left idle for longer than SESSION_IDLE_TIMEOUT, with the same cookie', async () => {
      const clock = movableClock();
      const { agent } = await signInAlice(idle);
      expect(await homeH1(agent)).toBe(HOME_SIGNED_IN);

      await clock.advance(61);

      expect(await homeH1(agent)).toBe(HOME_SIGNED_OUT);
      const rooms = await agent.get('/listrooms');
      expect(rooms.status).toBe(303);
      expect(rooms.headers.location).toBe('/?next=%2Flistrooms');
    });

    it('keeps a session alive while it is used within the idle window', async () => {
      const clock = movableClock();
      const { agent } = await signInAlice(idle);

      for (let step = 1; step <= 4; step++) {
        await clock.advance(50);
        // 200 s in all, never 60 s without a request.
        expect(await homeH1(agent)).toBe(HOME_SIGNED_IN);
      }
      expect((await agent.get('/listrooms')).status).toBe(200);
    });

    it('signs out after SESSION_ABSOLUTE_TIMEOUT however active the session, and says why', async () => {
      const clock = movableClock();
      const { agent } = await signInAlice(absolute);

      await clock.advance(50);
      expect(await homeH1(agent)).toBe(HOME_SIGNED_IN);
      await clock.advance(50);
      expect(await homeH1(agent)).toBe(HOME_SIGNED_IN);
      // 121 s after sign-in, 21 s after the last request: only the absolute timeout can end it.
      await clock.advance(21);

      const home = await agent.get('/');
      expect(h1Of(home.text)).toBe(HOME_SIGNED_OUT);
      expect(textOf(home.text)).toMatch(/session has ended\. Please sign in again/i);
      const rooms = await agent.get('/listrooms');
      expect(rooms.status).toBe(303);
      expect(rooms.headers.location).toBe('/?next=%2Flistrooms');
    });
  });

  describe('cross-site requests (CSRF) on POST /logout', () => {
    it.each<[string, Record<string, string>]>([
      ['Origin: https://evil.example', { Origin: 'https://evil.example' }],
      ['Origin: null (a sandboxed frame or a data: page)', { Origin: 'null' }],
      ['an Origin on the right host but another scheme', { Origin: APP_ORIGIN.replace('http:', 'https:') }],
      ['Sec-Fetch-Site: cross-site', { 'Sec-Fetch-Site': 'cross-site' }],
      ['Sec-Fetch-Site: same-site (a sibling subdomain)', { 'Sec-Fetch-Site': 'same-site' }],
      [
        'Sec-Fetch-Site: cross-site even with a forged same Origin',
        { 'Sec-Fetch-Site': 'cross-site', Origin: APP_ORIGIN },
      ],
    ])('refuses a logout sent with %s with a 403 page and keeps the person signed in', async (_n, headers) => {
      const { agent } = await signInAlice();

      const response = await agent.post('/logout').set(headers);

      expect(response.status).toBe(403);
      expect(response.headers['content-type']).toMatch(/text\/html/);
      expect(h1Of(response.text)).toBe(ERROR);
      expect(textOf(response.text)).toMatch(/another site/i);
      expect(response.headers['set-cookie']).toBeUndefined();
      expect(await homeH1(agent)).toBe(HOME_SIGNED_IN);
      expect((await agent.get('/listrooms')).status).toBe(200);
    });

    it.each<[string, Record<string, string>]>([
      ['Sec-Fetch-Site: same-origin', { 'Sec-Fetch-Site': 'same-origin' }],
      ['Origin equal to the redirect URI origin', { Origin: APP_ORIGIN }],
      ['both', { 'Sec-Fetch-Site': 'same-origin', Origin: APP_ORIGIN }],
    ])('accepts a same-origin logout sent with %s: 303 home and signed out', async (_n, headers) => {
      const { agent } = await signInAlice();

      const response = await agent.post('/logout').set(headers);

      expect(response.status).toBe(303);
      expect(response.headers.location).toBe('/');
      expect(await homeH1(agent)).toBe(HOME_SIGNED_OUT);
    });
  });

  describe('Cache-Control: no-store', () => {
    it('is sent on the sign-in callback, whose final Location is / with no code in it', async () => {
      const agent = app.agent();
      const { authorizeUrl } = await startLogin(agent);
      const callbackUrl = await consent(authorizeUrl, 'alice');

      const callback = await followCallback(agent, callbackUrl);

      expect(callback.status).toBe(303);
      expect(callback.headers.location).toBe('/');
      expect(callback.headers['cache-control']).toMatch(/no-store/);
    });

    it.each<[string, () => Promise<Response>]>([
      ['the signed-in home page', async () => (await signInAlice()).agent.get('/')],
      ['the spaces list', async () => (await signInAlice()).agent.get('/listrooms')],
      ['the logout page, signed in', async () => (await signInAlice()).agent.get('/logout')],
      ['the logout page, signed out', () => app.agent().get('/logout')],
      ['GET /login', () => app.agent().get('/login')],
      ['the not-found page', () => app.agent().get('/nope')],
      ['a JSON error', () => app.agent().get('/listrooms').set('Accept', 'application/json')],
      ['a sign-in error page', () => app.agent().get(callbackPath({ code: 'c', state: 's' }))],
      ['the cross-site refusal page', () => app.agent().post('/logout').set('Origin', 'https://evil.example')],
      ['the redirect home of a signed-out visitor', () => app.agent().get('/listrooms')],
    ])('is sent on %s', async (_name, open) => {
      const response = await open();

      expect(response.headers['cache-control']).toMatch(/no-store/);
    });
  });

  describe('no open redirect', () => {
    const forwarded: [string, Record<string, string>][] = [
      ['X-Forwarded-Host: evil.example', { 'X-Forwarded-Host': 'evil.example' }],
      ['X-Forwarded-Proto: https', { 'X-Forwarded-Proto': 'https' }],
      [
        'X-Forwarded-Host, -Proto and -Port together',
        { 'X-Forwarded-Host': 'evil.example', 'X-Forwarded-Proto': 'https', 'X-Forwarded-Port': '443' },
      ],
      ['Forwarded: host=evil.example;proto=https', { Forwarded: 'host=evil.example;proto=https' }],
    ];

    it.each(forwarded)(
      'puts exactly the configured redirect_uri in the /login redirect with %s',
      async (_n, headers) => {
        for (const on of [app, proxied]) {
          const response = await on.request().get('/login').set(headers);

          expect(response.status).toBe(302);
          const location = new URL(String(response.headers.location));
          expect(`${location.origin}${location.pathname}`).toBe(`${emulator.origin}/v1/authorize`);
          expect(location.searchParams.get('redirect_uri')).toBe(E2E_CLIENT.redirectUri);
          expect(String(response.headers.location)).not.toContain('evil.example');
        }
      },
    );

    it.each(['/', '/index.html', '/login', '/login?next=//evil.example/', '/?x=https://evil.example'])(
      'sends a browser that asked for %s with Host: evil.example to the configured origin, never to evil.example',
      async (path) => {
        for (const on of [app, proxied]) {
          const response = await on
            .request()
            .get(path)
            .set('Host', 'evil.example')
            .set('X-Forwarded-Host', 'evil.example');

          expect(response.status).toBe(302);
          expect(new URL(String(response.headers.location)).origin).toBe(APP_ORIGIN);
        }
      },
    );

    it('keeps redirect_uri exact once the browser follows the canonical-host redirect', async () => {
      const first = await app.request().get('/login').set('Host', 'evil.example');
      const next = new URL(String(first.headers.location));

      const second = await app.request().get(next.pathname + next.search);

      expect(new URL(String(second.headers.location)).searchParams.get('redirect_uri')).toBe(E2E_CLIENT.redirectUri);
    });

    const targets = [
      '//evil.example/',
      '//evil.example/login',
      '///evil.example/',
      '/\\evil.example',
      '/\\evil.example/login',
      '/\\/evil.example/',
      '/%2F%2Fevil.example',
      '/%5C%5Cevil.example',
      '/%2f%2fevil.example/%2e%2e',
      '/.//evil.example',
      '/login/..//evil.example',
      '/static//evil.example',
      '/static/\\evil.example',
      '/static/%2F%2Fevil.example',
      '/index.html//evil.example',
    ];
    it.each(targets)('never answers %s with a Location off its own origin, whatever the Host', async (target) => {
      for (const host of [undefined, 'evil.example', 'localhost:1234']) {
        const response = await rawRequest(appPort, { target, host });

        expect(response.timedOut).toBe(false);
        expect(response.status).toBeGreaterThanOrEqual(200);
        expect(response.status).toBeLessThan(500);
        const location = rawHeader(response, 'location');
        if (location !== undefined) expect(new URL(location, `${APP_ORIGIN}/`).origin).toBe(APP_ORIGIN);
      }
    });
  });

  describe('session ids', () => {
    /** After `cookie`, the browser starts a sign-in: the id it then gets must be new. */
    async function expectFreshIdAfterLogin(cookieHeader: string, attackerId: string | undefined) {
      const login = await app.request().get('/login').set('Cookie', cookieHeader);
      expect(login.status).toBe(302);
      const issued = sessionIdOf(setCookie(login, COOKIE)?.value);
      expect(issued).toBeDefined();
      expect(issued).not.toBe(attackerId);
    }

    async function expectSignedOut(cookieHeader: string) {
      const home = await app.request().get('/').set('Cookie', cookieHeader);
      expect(h1Of(home.text)).toBe(HOME_SIGNED_OUT);
      const rooms = await app.request().get('/listrooms').set('Cookie', cookieHeader);
      expect(rooms.status).toBe(303);
      expect(rooms.headers.location).toBe('/?next=%2Flistrooms');
    }

    it('treats a cookie whose signature was altered as signed out, and issues a new id', async () => {
      const { cookie } = await signInAlice();
      const raw = decodeURIComponent(cookie);
      const at = raw.lastIndexOf('.') + 5;
      const tampered = raw.slice(0, at) + (raw[at] === 'A' ? 'B' : 'A') + raw.slice(at + 1);
      expect(tampered).not.toBe(raw);

      await expectSignedOut(`${COOKIE}=${encodeURIComponent(tampered)}`);
      await expectFreshIdAfterLogin(`${COOKIE}=${encodeURIComponent(tampered)}`, sessionIdOf(cookie));
      // The genuine cookie still works: the forgery did not disturb the real session.
      const genuine = await app.request().get('/').set('Cookie', `${COOKIE}=${cookie}`);
      expect(h1Of(genuine.text)).toBe(HOME_SIGNED_IN);
    });

    it.each([
      ['a forged signature (s:<id>.<garbage>)', (id: string) => `s:${id}.forged-signature-garbage`],
      ['no signature at all (s:<id>)', (id: string) => `s:${id}`],
      ['the bare id, unsigned', (id: string) => id],
    ])('treats a real session id with %s as signed out, and issues a new id', async (_n, forge) => {
      const { cookie } = await signInAlice();
      const id = sessionIdOf(cookie) ?? '';
      const forged = `${COOKIE}=${encodeURIComponent(forge(id))}`;

      await expectSignedOut(forged);
      await expectFreshIdAfterLogin(forged, id);
    });

    it('treats a well-signed id that is not in the store as signed out, and never adopts it (session fixation)', async () => {
      const attackerId = 'attacker-chosen-session-id-0123456789';
      const planted = `${COOKIE}=${encodeURIComponent(`s:${sign(attackerId, E2E_SESSION_SECRET)}`)}`;

      await expectSignedOut(planted);
      await expectFreshIdAfterLogin(planted, attackerId);

      // The victim's browser carries the planted cookie into a whole sign-in: the attacker's id stays worthless.
      const login = await app.request().get('/login').set('Cookie', planted);
      const pending = setCookie(login, COOKIE)?.value;
      const callbackUrl = await consent(new URL(String(login.headers.location)), 'alice');
      const callback = await app
        .request()
        .get(callbackUrl.pathname + callbackUrl.search)
        // The Set-Cookie of /login replaced the planted cookie (same name) in the browser.
        .set('Cookie', `${COOKIE}=${pending}`);
      expect(callback.status).toBe(303);
      const signedInId = sessionIdOf(setCookie(callback, COOKIE)?.value);
      expect(signedInId).toBeDefined();
      expect([attackerId, sessionIdOf(pending)]).not.toContain(signedInId);
      await expectSignedOut(planted);
    });

    it('treats an expired session id as signed out, and issues a new id', async () => {
      const clock = movableClock();
      const { cookie } = await signInAlice();

      await clock.advance(1801);

      await expectSignedOut(`${COOKIE}=${cookie}`);
      await expectFreshIdAfterLogin(`${COOKIE}=${cookie}`, sessionIdOf(cookie));
    });
  });

  describe('the sign-in state works once, even under a race', () => {
    it('exchanges the code once when the same callback arrives twice at the same time (10 rounds)', async () => {
      for (let round = 0; round < 10; round++) {
        const agent = app.agent();
        const { authorizeUrl } = await startLogin(agent);
        const callbackUrl = await consent(authorizeUrl, 'alice');
        const before = codeGrants();

        const answers = await Promise.all([followCallback(agent, callbackUrl), followCallback(agent, callbackUrl)]);

        expect(codeGrants() - before).toBe(1);
        expect(answers.map((a) => a.status).sort()).toEqual([303, 400]);
        const refused = answers.find((a) => a.status === 400);
        expect(h1Of(refused?.text ?? '')).toBe(ERROR);
        expect(textOf(refused?.text ?? '')).toMatch(/does not match|expired or been used already/i);
        expect(textOf((await agent.get('/')).text)).toContain(GREETING);
      }
    }, 30_000);
  });

  describe('sign-in rate limit (LOGIN_RATE_LIMIT=5)', () => {
    let limited: BootedApp;

    beforeEach(async () => {
      limited = await boot('rate-limited', { LOGIN_RATE_LIMIT: '5' });
    });

    afterEach(async () => {
      await limited.close();
    });

    it('answers the 6th GET /login within a minute from one client with 429, Retry-After and the error page', async () => {
      for (let i = 0; i < 5; i++) expect((await limited.agent().get('/login')).status).toBe(302);

      const response = await limited.agent().get('/login');

      expect(response.status).toBe(429);
      expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(response.headers['retry-after'])).toBeLessThanOrEqual(60);
      expect(response.headers['content-type']).toMatch(/text\/html/);
      expect(h1Of(response.text)).toBe(ERROR);
      expect(textOf(response.text)).toMatch(/Too many requests/i);
      expect(response.headers['cache-control']).toMatch(/no-store/);
    });

    it('answers a client that asks for JSON with a JSON 429', async () => {
      for (let i = 0; i < 5; i++) await limited.agent().get('/login');

      const response = await limited.agent().get('/login').set('Accept', 'application/json');

      expect(response.status).toBe(429);
      expect(response.headers['retry-after']).toMatch(/^\d+$/);
      expect(response.headers['content-type']).toMatch(/application\/json/);
      expect(response.body).toEqual(expect.objectContaining({ statusCode: 429, message: expect.any(String) }));
    });

    it('limits the sign-in callback too', async () => {
      for (let i = 0; i < 5; i++) {
        expect((await limited.agent().get(callbackPath({ code: `c${i}`, state: `s${i}` }))).status).toBe(400);
      }

      const response = await limited.agent().get(callbackPath({ code: 'c', state: 's' }));

      expect(response.status).toBe(429);
      expect(response.headers['retry-after']).toMatch(/^\d+$/);
    });

    it('does not limit the other pages', async () => {
      const agent = await signedIn(limited.agent(), emulator, 'alice');
      for (let i = 0; i < 5; i++) await limited.agent().get('/login');

      for (let i = 0; i < 20; i++) {
        expect((await limited.agent().get('/')).status).toBe(200);
        expect((await agent.get('/listrooms')).status).toBe(200);
      }
      expect((await limited.agent().get('/logout')).status).toBe(200);
    });
  });

  describe('tokens at rest', () => {
    it('keeps no access or refresh token in plaintext in any store, before and after a refresh', async () => {
      emulator.controls.setTokenLifetimes({ accessTokenSeconds: 30 });
      emulator.controls.setRotateRefreshTokens(true);
      const { agent, cookie } = await signInAlice();
      const sessions = app.app.get<Store>(SESSION_STORE);
      const grants = app.app.get<GrantStore, MemoryGrantStore>(GrantStore);
      const loginStates = app.app.get(LoginStateStore);
      const sessionId = sessionIdOf(cookie) ?? '';
      const session = await new Promise<{ grantId?: string } | null | undefined>((resolve, reject) =>
        sessions.get(sessionId, (error, data) => (error ? reject(error as Error) : resolve(data))),
      );
      const grantId = session?.grantId ?? '';
      expect(grantId).not.toBe('');
      const first = (await grants.get(grantId)) as Grant;

      // The token expires within the refresh margin: this page refreshes it.
      const rooms = await agent.get('/listrooms');
      expect(rooms.status).toBe(200);
      const second = (await grants.get(grantId)) as Grant;
      expect(second.version).toBe(first.version + 1);
      expect(second.accessToken).not.toBe(first.accessToken);
      expect(second.refreshToken).not.toBe(first.refreshToken);

      const stored = [
        ...[...(sessions as unknown as { cache: LRUCache<string, string> }).cache.entries()].flat(),
        ...grants.dump(),
        ...[...(loginStates as unknown as { cache: LRUCache<string, object> }).cache.entries()].map((e) =>
          JSON.stringify(e),
        ),
      ];
      expect(grants.dump().length).toBeGreaterThan(0);
      expect(stored.some((s) => s.includes(grantId))).toBe(true);
      grants.dump().forEach((sealed) => expect(sealed).toMatch(/^\{.*"s":"v1\.[\w-]+\.[\w-]+\.[\w-]+\.[\w-]+"/));
      for (const token of [first.accessToken, first.refreshToken, second.accessToken, second.refreshToken]) {
        expect(token.length).toBeGreaterThan(20);
        expect(stored.filter((s) => s.includes(token))).toEqual([]);
        expect(rooms.text).not.toContain(token);
        expect(String(rooms.headers['set-cookie'] ?? '')).not.toContain(token);
      }
    });
  });

  describe('single-flight refresh over HTTP', () => {
    it('refreshes once for 20 pages asked for at once, and stores the rotated refresh token', async () => {
      emulator.controls.setTokenLifetimes({ accessTokenSeconds: 30 });
      emulator.controls.setRotateRefreshTokens(true);
      const { agent } = await signInAlice();
      // The refreshed token lives long: any further refresh would be a second flight, not a need.
      emulator.controls.setTokenLifetimes({ accessTokenSeconds: 43_200 });
      // Webex is slow to answer the refresh, so all twenty pages wait on the same one.
      emulator.controls.setLatency(150, 'token');
      const before = refreshGrants();

      const pages = await Promise.all(Array.from({ length: 20 }, () => agent.get('/listrooms')));

      expect(pages.map((p) => p.status)).toEqual(Array.from({ length: 20 }, () => 200));
      pages.forEach((p) => expect(roomTitlesOf(p.text)).toHaveLength(7));
      expect(refreshGrants() - before).toBe(1);

      // Rotation retired the first refresh token: another refresh works only with the stored new one.
      emulator.controls.setLatency(0);
      expect(emulator.controls.expireAccessTokens({ handle: 'alice' })).toBeGreaterThan(0);
      const later = await agent.get('/listrooms');
      expect(later.status).toBe(200);
      expect(refreshGrants() - before).toBe(2);
      expect(await homeH1(agent)).toBe(HOME_SIGNED_IN);
    }, 20_000);
  });

  it('sent every redirect in this suite to its own configured origin or to the Webex authorize endpoint', () => {
    expect(redirects.length).toBeGreaterThan(50);
    const offOrigin = redirects.filter(({ location, appOrigin }) => {
      const url = new URL(location, `${appOrigin}/`);
      if (url.origin === appOrigin) return false;
      return !(url.origin === emulator.origin && url.pathname === '/v1/authorize');
    });
    expect(offOrigin).toEqual([]);
  });
});
