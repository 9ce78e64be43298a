import request from 'supertest';
import { useSuiteApp } from './support/suite';
import { E2E_CLIENT } from './support/emulator';
import { callbackPath, consent, followCallback, signedIn, startLogin } from './support/flow';
import { formsOf, h1Of, leaksIn, linkTargets, setCookie, textOf, titleOf } from './support/html';

const HOME_SIGNED_OUT = 'Webex Integration example: Home';
const HOME_SIGNED_IN = 'Webex Integration example: Authenticated';
const ERROR = 'Webex Integration example: Error';

describe('Pages', () => {
  const suite = useSuiteApp();

  describe('the home page', () => {
    it.each(['/', '/index.html'])(
      'answers %s for a signed-out visitor with a link to start the OAuth flow',
      async (path) => {
        const response = await suite.booted.agent().get(path);

        expect(response.status).toBe(200);
        expect(response.headers['content-type']).toMatch(/text\/html/);
        expect(h1Of(response.text)).toBe(HOME_SIGNED_OUT);
        expect(linkTargets(response.text, 'Start OAuth flow')).toEqual(['/login']);
        expect(formsOf(response.text)).not.toContain('POST /logout');
        // Not in sandbox mode: no banner pretending this is the emulator.
        expect(response.text).not.toContain('sandbox-banner');
      },
    );

    it('sets no cookie for a visitor who has not started signing in', async () => {
      const response = await suite.booted.agent().get('/');

      expect(setCookie(response, 'wxo.sid')).toBeUndefined();
    });

    it.each(['/', '/index.html'])(
      'answers %s for a signed-in person with their name, the spaces link and one way to log out',
      async (path) => {
        const agent = await signedIn(suite.booted.agent(), suite.emulator, 'alice');

        const response = await agent.get(path);

        expect(response.status).toBe(200);
        expect(h1Of(response.text)).toBe(HOME_SIGNED_IN);
        expect(textOf(response.text)).toContain('So happy to meet, Alice Sandbox!');
        expect(linkTargets(response.text, 'List my rooms (spaces)')).toEqual(['/listrooms']);
        expect(formsOf(response.text)).not.toContain('POST /logout');
        expect(linkTargets(response.text, 'Log out')).toEqual(['/logout']);
        expect(linkTargets(response.text, 'Start OAuth flow')).toEqual([]);
      },
    );
  });

  describe('logging out', () => {
    it('ends the session on POST /logout, clears the cookie and goes home', async () => {
      const agent = suite.booted.agent();
      const signIn = await (async () => {
        const { authorizeUrl } = await startLogin(agent);
        return followCallback(agent, await consent(authorizeUrl, 'alice'));
      })();
      const sessionCookie = setCookie(signIn, 'wxo.sid');
      expect(sessionCookie).toBeDefined();

      const response = await agent.post('/logout');

      expect(response.status).toBe(303);
      expect(response.headers.location).toBe('/');
      const cleared = setCookie(response, 'wxo.sid');
      expect(cleared).toBeDefined();
      expect(cleared?.value).toBe('');
      expect(cleared?.attributes).toMatch(/Expires=Thu, 01 Jan 1970|Max-Age=0/i);
      expect(h1Of((await agent.get('/')).text)).toBe(HOME_SIGNED_OUT);
      expect((await agent.get('/listrooms')).status).toBe(303);

      // The old cookie, replayed (stolen, or kept by a browser that ignored the clearing), is worth nothing.
      const replayed = await suite.booted.request().get('/').set('Cookie', `wxo.sid=${sessionCookie?.value}`);
      expect(h1Of(replayed.text)).toBe(HOME_SIGNED_OUT);
      const replayedRooms = await suite.booted
        .request()
        .get('/listrooms')
        .set('Cookie', `wxo.sid=${sessionCookie?.value}`);
      expect(replayedRooms.status).toBe(303);
      expect(replayedRooms.headers.location).toBe('/?next=%2Flistrooms');
    });

    it('answers POST /logout without a session by going home', async () => {
      const response = await suite.booted.agent().post('/logout');

      expect(response.status).toBe(303);
      expect(response.headers.location).toBe('/');
    });

    it('shows a logout button on GET /logout without ending the session', async () => {
      const agent = await signedIn(suite.booted.agent(), suite.emulator, 'alice');

      const response = await agent.get('/logout');

      expect(response.status).toBe(200);
      expect(formsOf(response.text)).toContain('POST /logout');
      expect(textOf(response.text)).toMatch(/Log out/);
      expect(h1Of((await agent.get('/')).text)).toBe(HOME_SIGNED_IN);
      expect((await agent.get('/listrooms')).status).toBe(200);
    });

    it('tells a signed-out visitor of GET /logout that they are not signed in', async () => {
      const response = await suite.booted.agent().get('/logout');

      expect(response.status).toBe(200);
      expect(textOf(response.text)).toContain('You are not signed in.');
      expect(formsOf(response.text)).not.toContain('POST /logout');
    });
  });

  describe('unknown addresses', () => {
    it.each([
      '/nope',
      '/listrooms/extra',
      '/oauth/extra',
      '/views/index.hbs',
      '/index.hbs',
      '/static/../views/index.hbs',
      '/static/%2e%2e/views/index.hbs',
      '/static/%2E%2E%2Fviews%2Findex.hbs',
      '/static/',
    ])('answers %s with a 404 error page', async (path) => {
      const response = await suite.booted.agent().get(path);

      expect(response.status).toBe(404);
      expect(response.headers['content-type']).toMatch(/text\/html/);
      expect(h1Of(response.text)).toBe(ERROR);
      expect(response.text).not.toContain('{{');
      expect(leaksIn(response.text, [E2E_CLIENT.clientSecret])).toEqual([]);
    });
  });

  describe('static files', () => {
    it.each([
      ['/static/water.css', /text\/css/],
      ['/static/app.css', /text\/css/],
      ['/favicon.ico', /image\//],
      ['/static/favicon.svg', /image\/svg\+xml/],
    ])('serves %s', async (path, type) => {
      const response = await suite.booted.agent().get(path);

      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toMatch(type);
      expect(Number(response.headers['content-length'] ?? response.body?.length ?? 0)).toBeGreaterThan(0);
    });

    it('links only to its own stylesheets, never to a CDN', async () => {
      const response = await suite.booted.agent().get('/');

      const stylesheets = [...response.text.matchAll(/<link[^>]+rel="stylesheet"[^>]*href="([^"]+)"/g)].map(
        (m) => m[1],
      );
      expect(stylesheets).toEqual(expect.arrayContaining(['/static/water.css', '/static/app.css']));
      stylesheets.forEach((href) => expect(href.startsWith('/')).toBe(true));
    });
  });

  describe('JSON errors for clients that ask for JSON', () => {
    it.each<[string, (agent: request.Agent) => Promise<request.Response>, number]>([
      ['an unknown address', (agent) => agent.get('/nope').set('Accept', 'application/json'), 404],
      [
        'a declined sign-in',
        (agent) => agent.get(callbackPath({ error: 'access_denied', state: 'x' })).set('Accept', 'application/json'),
        403,
      ],
      [
        'a callback without code or state',
        (agent) => agent.get(callbackPath({})).set('Accept', 'application/json'),
        400,
      ],
      [
        'a callback with an unknown state',
        (agent) => agent.get(callbackPath({ code: 'c', state: 's' })).set('Accept', 'application/json'),
        400,
      ],
      ['the spaces list without a session', (agent) => agent.get('/listrooms').set('Accept', 'application/json'), 401],
    ])('answers %s with JSON {statusCode, error, message}, never HTML', async (_name, send, status) => {
      const response = await send(suite.booted.agent());

      expect(response.status).toBe(status);
      expect(response.headers['content-type']).toMatch(/application\/json/);
      expect(response.text.trimStart().startsWith('<')).toBe(false);
      expect(response.body).toEqual(
        expect.objectContaining({ statusCode: status, error: expect.any(String), message: expect.any(String) }),
      );
      expect(leaksIn(response.text, [E2E_CLIENT.clientSecret])).toEqual([]);
    });
  });

  describe('every page', () => {
    const pages: [string, (agent: request.Agent) => Promise<request.Response>][] = [
      ['the signed-out home page', (agent) => agent.get('/')],
      ['the signed-in home page', async (agent) => (await signedIn(agent, suite.emulator, 'alice')).get('/')],
      ['the spaces list', async (agent) => (await signedIn(agent, suite.emulator, 'alice')).get('/listrooms')],
      ['the empty spaces list', async (agent) => (await signedIn(agent, suite.emulator, 'bob')).get('/listrooms')],
      ['the logout page', (agent) => agent.get('/logout')],
      ['a sign-in error page', (agent) => agent.get(callbackPath({ error: 'access_denied' }))],
      ['the not-found page', (agent) => agent.get('/nope')],
    ];

    it('marks where the person is in the navigation, and offers the signed-in links only when signed in', async () => {
      const agent = await signedIn(suite.booted.agent(), suite.emulator, 'alice');
      const current = (html: string) => [...html.matchAll(/<a href="([^"]+)" aria-current="page">/g)].map((m) => m[1]);

      const spaces = await agent.get('/listrooms');
      const home = await agent.get('/');
      const signedOut = await suite.booted.agent().get('/');

      expect(current(spaces.text)).toEqual(['/listrooms']);
      expect(current(home.text)).toEqual(['/']);
      expect(titleOf(spaces.text)).toMatch(/^Spaces List/);
      expect(linkTargets(home.text, 'Spaces')).toEqual(['/listrooms']);
      expect(linkTargets(signedOut.text, 'Spaces')).toEqual([]);
    });

    it.each(pages)('%s declares its language and has a title', async (_name, open) => {
      const response = await open(suite.booted.agent());

      expect(response.headers['content-type']).toMatch(/text\/html/);
      expect(response.text).toMatch(/^<!doctype html>/i);
      expect(response.text).toContain('<html lang="en">');
      expect(titleOf(response.text)).toMatch(/\S/);
    });
  });

  describe('security headers (webex-platform.md, security bar)', () => {
    const signedInPages: [string, (agent: request.Agent) => Promise<request.Response>][] = [
      ['the signed-in home page', async (agent) => (await signedIn(agent, suite.emulator, 'alice')).get('/')],
      ['the spaces list', async (agent) => (await signedIn(agent, suite.emulator, 'alice')).get('/listrooms')],
      [
        'the sign-in callback',
        async (agent) => {
          const { authorizeUrl } = await startLogin(agent);
          return followCallback(agent, await consent(authorizeUrl, 'alice'));
        },
      ],
    ];

    it.each(signedInPages)('%s is not cached', async (_name, open) => {
      const response = await open(suite.booted.agent());

      expect(response.headers['cache-control']).toMatch(/no-store/);
    });

    it.each(signedInPages)('%s sends Referrer-Policy: no-referrer', async (_name, open) => {
      const response = await open(suite.booted.agent());

      expect(response.headers['referrer-policy']).toBe('no-referrer');
    });

    it.each([
      ['the home page', '/'],
      ['the not-found page', '/nope'],
    ])('%s sends nosniff and a CSP that forbids framing, plugins and <base>', async (_name, path) => {
      const response = await suite.booted.agent().get(path);

      expect(response.headers['x-content-type-options']).toBe('nosniff');
      const csp = String(response.headers['content-security-policy'] ?? '');
      expect(csp).toMatch(/frame-ancestors 'none'|frame-ancestors 'self'/);
      expect(csp).toMatch(/object-src 'none'/);
      expect(csp).toMatch(/base-uri 'none'/);
    });

    it('names no framework in its answers', async () => {
      const response = await suite.booted.agent().get('/');

      expect(response.headers['x-powered-by']).toBeUndefined();
    });
  });
});
