import type { Response } from 'supertest';
import type request from 'supertest';
import type { FaultSpec } from '../src/sandbox';
import { bootApp, type BootedApp } from './support/app';
import { displayNameOf, E2E_CLIENT, portalAuthorizeUrl, type SeedHandle } from './support/emulator';
import { signedIn } from './support/flow';
import { leaksIn, TRACKING_ID } from './support/html';
import { OpenApiAnswers } from './support/openapi';
import { useSuiteApp } from './support/suite';

const ORIGIN = 'http://127.0.0.1:8080';
const UNTIL_CLEARED = { times: Infinity } as const;

describe('The JSON API (/api/v1)', () => {
  const suite = useSuiteApp({ env: { WEBEX_TIMEOUT_MS: '500' } });
  let answers: OpenApiAnswers;

  beforeAll(async () => {
    const document = await suite.booted.request().get('/api/openapi.json');
    expect(document.status).toBe(200);
    answers = await OpenApiAnswers.from(document.body);
  });

  /** A request to the API; its answer must match the document and carry no token. Every API call below goes through it. */
  async function call(
    agent: request.Agent,
    method: 'GET' | 'POST',
    path: string,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    const pending = method === 'GET' ? agent.get(path) : agent.post(path);
    const response = await pending.set(headers);
    expect(answers.problems(method, path, response)).toEqual([]);
    const body = response.text.replace(/"nextCursor":"[^"]*"/, '');
    expect(leaksIn(body, [E2E_CLIENT.clientSecret])).toEqual([]);
    expect(response.text).not.toMatch(/token/i);
    return response;
  }

  const as = (handle: SeedHandle) => signedIn(suite.booted.agent(), suite.emulator, handle);

  function expectProblem(response: Response, status: number) {
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.headers.location).toBeUndefined();
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.body).toEqual(
      expect.objectContaining({
        status,
        title: expect.any(String),
        detail: expect.any(String),
        requestId: expect.any(String),
      }),
    );
    expect(response.body.requestId).toBe(response.headers['x-request-id']);
  }

  describe('the OpenAPI document', () => {
    it('is valid OpenAPI 3, with the cookie as its security scheme and every endpoint', async () => {
      const { body } = (await suite.booted.request().get('/api/openapi.json')) as {
        body: { openapi: string; paths: object; components: { securitySchemes: object; schemas: object } };
      };

      expect(body.openapi).toMatch(/^3\./);
      expect(body.components.securitySchemes).toHaveProperty('cookie');
      expect((body.components.securitySchemes as Record<string, unknown>).cookie).toEqual({
        type: 'apiKey',
        in: 'cookie',
        name: 'wxo.sid',
      });
      expect(Object.keys(body.paths).sort()).toEqual([
        '/api/v1/logout',
        '/api/v1/me',
        '/api/v1/session',
        '/api/v1/spaces',
        '/api/v1/spaces/{roomId}',
      ]);
      const names = Object.values(body.components.schemas as Record<string, { properties: object }>).flatMap((s) =>
        Object.keys(s.properties),
      );
      expect(names.filter((name) => /token|secret|code/i.test(name))).toEqual([]);
    });

    it('is shown at /api/docs by Swagger UI, served by the service under its CSP (nothing inline)', async () => {
      const page = await suite.booted.request().get('/api/docs');
      const css = await suite.booted.request().get('/api/docs/swagger-ui.css');
      const bundle = await suite.booted.request().get('/api/docs/swagger-ui-bundle.js');
      const start = await suite.booted.request().get('/api/docs/start.js');

      expect(page.status).toBe(200);
      const csp = String(page.headers['content-security-policy']);
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(page.text).not.toMatch(/<script>|<style|style="|https?:\/\//);
      expect([css.status, bundle.status, start.status]).toEqual([200, 200, 200]);
      expect(bundle.headers['content-type']).toMatch(/javascript/);
      expect(start.text).toContain('validatorUrl: null');
    });
  });

  describe('signed out', () => {
    it('says so in GET /session, with the features the integration allows', async () => {
      const response = await call(suite.booted.agent(), 'GET', '/api/v1/session');

      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        signedIn: false,
        idleTimeoutSeconds: 1800,
        features: expect.arrayContaining([
          { key: 'spaces', label: 'The spaces list', available: true, missingScopes: [] },
        ]),
      });
    });

    it.each(['/api/v1/me', '/api/v1/spaces', '/api/v1/spaces/Y2lzY29zcGFyazovL3VzL1JPT00vMQ'])(
      'answers GET %s with a 401 problem, never a redirect',
      async (path) => {
        const response = await call(suite.booted.agent(), 'GET', path, { Accept: 'text/html' });

        expectProblem(response, 401);
        expect(response.body.type).toBe('urn:webex-oauth-service:problem:401-not-signed-in');
      },
    );

    it('answers POST /logout with 204 (already signed out)', async () => {
      const response = await call(suite.booted.agent(), 'POST', '/api/v1/logout', { 'Sec-Fetch-Site': 'same-origin' });

      expect(response.status).toBe(204);
    });
  });

  describe('signed in', () => {
    it('tells who is signed in and until when, and never a token', async () => {
      const before = Date.now();
      const agent = await as('alice');

      const response = await call(agent, 'GET', '/api/v1/session');

      expect(response.body).toEqual(
        expect.objectContaining({ signedIn: true, displayName: displayNameOf(suite.emulator, 'alice') }),
      );
      const expires = Date.parse((response.body as { expiresAt: string }).expiresAt);
      expect(expires).toBeGreaterThanOrEqual(before + 43_200_000 - 1000);
      expect(expires).toBeLessThanOrEqual(Date.now() + 43_200_000);
    });

    it('gives GET /me from Webex', async () => {
      const agent = await as('alice');

      const response = await call(agent, 'GET', '/api/v1/me');

      expect(response.status).toBe(200);
      expect(response.body).toEqual(
        expect.objectContaining({ displayName: displayNameOf(suite.emulator, 'alice'), emails: ['alice@example.com'] }),
      );
    });

    it('pages through the spaces with a cursor, newest activity first, each space once', async () => {
      const agent = await as('alice');
      const whole = await call(agent, 'GET', '/api/v1/spaces?limit=100');
      expect(whole.body.nextCursor).toBeUndefined();
      const all = whole.body.items as { id: string; lastActivity: string }[];
      expect(all).toHaveLength(7);
      expect(all.map((s) => s.lastActivity)).toEqual([...all.map((s) => s.lastActivity)].sort().reverse());

      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await call(agent, 'GET', `/api/v1/spaces?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
        expect(page.status).toBe(200);
        const body = page.body as { items: { id: string }[]; nextCursor?: string };
        seen.push(...body.items.map((s) => s.id));
        cursor = body.nextCursor;
        pages += 1;
      } while (cursor && pages < 10);

      expect(pages).toBe(3);
      expect(seen).toEqual(all.map((s) => s.id));
    });

    it('gives one space with its members', async () => {
      const agent = await as('alice');
      const list = await call(agent, 'GET', '/api/v1/spaces?limit=100');
      const items = (list.body as { items: { id: string; title: string }[] }).items;
      const planning = items.find((s) => s.title === 'Release Planning');

      const response = await call(agent, 'GET', `/api/v1/spaces/${planning?.id}`);

      expect(response.status).toBe(200);
      expect(response.body.space).toEqual(
        expect.objectContaining({ title: 'Release Planning', type: 'group', isLocked: true }),
      );
      expect(response.body.members).toEqual({
        items: [
          expect.objectContaining({ displayName: 'Alice Sandbox', email: 'alice@example.com', isModerator: true }),
          expect.objectContaining({ displayName: 'Grace Sample', isModerator: true }),
          expect.objectContaining({ displayName: 'Frank Sample', isModerator: false }),
        ],
        truncated: false,
      });
    });

    it('answers 404 for a space Webex does not have for this person', async () => {
      const agent = await as('alice');

      const response = await call(
        agent,
        'GET',
        `/api/v1/spaces/${Buffer.from('ciscospark://us/ROOM/none').toString('base64')}`,
      );

      expectProblem(response, 404);
      expect(response.body.trackingId).toMatch(TRACKING_ID);
    });
  });

  describe('input', () => {
    it.each([
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=abc', 'limit'],
      ['limit=2.5', 'limit'],
      ['cursor=nonsense', 'cursor'],
      [`cursor=${'a'.repeat(20)}.${'b'.repeat(43)}`, 'cursor'],
    ])('refuses ?%s with a 400 naming %s', async (query, field) => {
      const agent = await as('alice');

      const response = await call(agent, 'GET', `/api/v1/spaces?${query}`);

      expectProblem(response, 400);
      expect(response.body.errors).toEqual([{ field, message: expect.any(String) }]);
    });

    it('ignores a parameter it does not know, as the pages do', async () => {
      const agent = await as('alice');

      const response = await call(agent, 'GET', '/api/v1/spaces?limit=2&_=12345');

      expect(response.status).toBe(200);
      expect(response.body.items).toHaveLength(2);
    });

    it('refuses a room id that is not a Webex id, naming roomId', async () => {
      const agent = await as('alice');

      const response = await call(agent, 'GET', '/api/v1/spaces/not%20an%20id!');

      expectProblem(response, 400);
      expect(response.body.errors).toEqual([{ field: 'roomId', message: expect.any(String) }]);
    });

    it('refuses a cursor made for someone else, or altered', async () => {
      const alice = await as('alice');
      const bob = await as('bob');
      const { nextCursor } = (await call(alice, 'GET', '/api/v1/spaces?limit=1')).body as { nextCursor: string };
      const [body, mac] = nextCursor.split('.');
      const altered = `${Buffer.from(JSON.stringify({ v: 1, a: 'x', u: 'y' })).toString('base64url')}.${mac}`;

      expectProblem(await call(bob, 'GET', `/api/v1/spaces?cursor=${nextCursor}`), 400);
      expectProblem(await call(alice, 'GET', `/api/v1/spaces?cursor=${altered}`), 400);
      expect((await call(alice, 'GET', `/api/v1/spaces?cursor=${body}.${mac}`)).status).toBe(200);
    });
  });

  describe('when Webex fails', () => {
    const failures: [string, Omit<FaultSpec, 'route'>, number, string | undefined][] = [
      ['429', { kind: 'rate-limit', retryAfterSeconds: 7 }, 429, '7'],
      ['503 with Retry-After', { kind: 'status', status: 503, retryAfterSeconds: 4 }, 429, '4'],
      ['500', { kind: 'status', status: 500 }, 502, undefined],
      ['403', { kind: 'status', status: 403 }, 403, undefined],
      ['a non-JSON body', { kind: 'non-json' }, 502, undefined],
      ['no answer (timeout)', { kind: 'hang' }, 502, undefined],
    ];

    it.each(failures)(
      'answers Webex’s %s as a problem with the right status',
      async (_name, fault, status, retryAfter) => {
        const agent = await as('alice');
        suite.emulator.controls.injectFault({ route: 'rooms', ...UNTIL_CLEARED, ...fault });

        const response = await call(agent, 'GET', '/api/v1/spaces');

        expectProblem(response, status);
        expect(response.headers['retry-after']).toBe(retryAfter);
        if (retryAfter) expect(response.body.retryAfter).toBe(Number(retryAfter));
        if (fault.kind !== 'hang') expect(response.body.trackingId).toMatch(TRACKING_ID);
      },
    );

    it('refreshes once on a Webex 401 and answers', async () => {
      const agent = await as('alice');
      const refreshes = suite.emulator.controls.stats().tokenGrants.refresh_token;
      suite.emulator.controls.injectFault({ route: 'people/me', kind: 'status', status: 401, times: 1 });

      const response = await call(agent, 'GET', '/api/v1/me');

      expect(response.status).toBe(200);
      expect(suite.emulator.controls.stats().tokenGrants.refresh_token - refreshes).toBe(1);
    });

    it('refreshes before expiry, as the pages do', async () => {
      suite.emulator.controls.setTokenLifetimes({ accessTokenSeconds: 30 });
      const agent = await as('alice');
      const refreshes = suite.emulator.controls.stats().tokenGrants.refresh_token;

      expect((await call(agent, 'GET', '/api/v1/spaces')).status).toBe(200);
      expect(suite.emulator.controls.stats().tokenGrants.refresh_token - refreshes).toBe(1);
    });

    it('signs out with a 401 problem when the grant is dead (401 even after a refresh)', async () => {
      const agent = await as('alice');
      suite.emulator.controls.injectFault({ route: 'rooms', kind: 'status', status: 401, times: 2 });

      const response = await call(agent, 'GET', '/api/v1/spaces');

      expectProblem(response, 401);
      expect(response.body.title).toBe('Signed out');
      expect((await call(agent, 'GET', '/api/v1/session')).body.signedIn).toBe(false);
    });

    it('signs out with a 401 problem when Webex refuses the refresh token', async () => {
      suite.emulator.controls.setTokenLifetimes({ accessTokenSeconds: 30 });
      const agent = await as('alice');
      suite.emulator.controls.revokeTokens({ handle: 'alice' });

      expectProblem(await call(agent, 'GET', '/api/v1/me'), 401);
      expect((await call(agent, 'GET', '/api/v1/session')).body.signedIn).toBe(false);
    });
  });

  describe('without the memberships scope', () => {
    let partial: BootedApp;
    beforeAll(async () => {
      const scopes = ['spark:people_read', 'spark:rooms_read'];
      partial = await bootApp(suite.emulator, {
        AUTH_INIT_URL: portalAuthorizeUrl(suite.emulator, { ...E2E_CLIENT, scopes }),
      });
    });
    afterAll(() => partial.close());

    it('says which feature is off, lists spaces, and refuses a space’s details naming the scope', async () => {
      const agent = await signedIn(partial.agent(), suite.emulator, 'alice');

      const session = await call(agent, 'GET', '/api/v1/session');
      const list = await call(agent, 'GET', '/api/v1/spaces?limit=1');
      const details = await call(
        agent,
        'GET',
        `/api/v1/spaces/${(list.body as { items: { id: string }[] }).items[0].id}`,
      );

      expect(session.body.features).toContainEqual({
        key: 'space',
        label: 'Space pages',
        available: false,
        missingScopes: ['spark:memberships_read'],
      });
      expect(list.status).toBe(200);
      expectProblem(details, 403);
      expect(details.body.detail).toContain('spark:memberships_read');
    });
  });

  describe('POST /logout', () => {
    it.each([
      ['Sec-Fetch-Site: cross-site', { 'Sec-Fetch-Site': 'cross-site' }],
      ['Sec-Fetch-Site: same-site', { 'Sec-Fetch-Site': 'same-site' }],
      ['another Origin', { Origin: 'https://evil.example' }],
    ])('refuses a cross-site request (%s) and stays signed in', async (_name, headers) => {
      const agent = await as('alice');

      const response = await call(agent, 'POST', '/api/v1/logout', headers);

      expectProblem(response, 403);
      expect((await call(agent, 'GET', '/api/v1/session')).body.signedIn).toBe(true);
    });

    it('signs out a same-origin request and clears the cookie', async () => {
      const agent = await as('alice');

      const response = await call(agent, 'POST', '/api/v1/logout', { 'Sec-Fetch-Site': 'same-origin', Origin: ORIGIN });

      expect(response.status).toBe(204);
      expect(String(response.headers['set-cookie'])).toMatch(/wxo\.sid=;/);
      expect((await call(agent, 'GET', '/api/v1/session')).body.signedIn).toBe(false);
      expectProblem(await call(agent, 'GET', '/api/v1/me'), 401);
    });
  });

  describe('CORS', () => {
    it('is off by default: no Access-Control-Allow-Origin for any origin', async () => {
      const response = await call(suite.booted.agent(), 'GET', '/api/v1/session', {
        Origin: 'https://app.example.com',
      });

      expect(response.headers['access-control-allow-origin']).toBeUndefined();
    });

    describe('with API_CORS_ORIGINS', () => {
      let cors: BootedApp;
      beforeAll(async () => {
        cors = await bootApp(suite.emulator, { API_CORS_ORIGINS: 'https://app.example.com, http://localhost:3000' });
      });
      afterAll(() => cors.close());

      it('lets a listed origin read with credentials', async () => {
        const agent = await signedIn(cors.agent(), suite.emulator, 'alice');

        const response = await call(agent, 'GET', '/api/v1/me', { Origin: 'https://app.example.com' });

        expect(response.status).toBe(200);
        expect(response.headers['access-control-allow-origin']).toBe('https://app.example.com');
        expect(response.headers['access-control-allow-credentials']).toBe('true');
        expect(response.headers.vary).toMatch(/Origin/);
      });

      it('answers a listed origin’s preflight, for reads only', async () => {
        const response = await cors
          .request()
          .options('/api/v1/spaces')
          .set({ Origin: 'http://localhost:3000', 'Access-Control-Request-Method': 'GET' });

        expect(response.status).toBe(204);
        expect(response.headers['access-control-allow-origin']).toBe('http://localhost:3000');
        expect(response.headers['access-control-allow-methods']).toBe('GET,HEAD');
      });

      it('says nothing to an origin not on the list, and keeps POST same-origin', async () => {
        const agent = await signedIn(cors.agent(), suite.emulator, 'alice');

        const other = await call(agent, 'GET', '/api/v1/session', { Origin: 'https://evil.example' });
        const logout = await call(agent, 'POST', '/api/v1/logout', { Origin: 'https://app.example.com' });

        expect(other.headers['access-control-allow-origin']).toBeUndefined();
        expect(logout.status).toBe(403);
      });
    });
  });
});
