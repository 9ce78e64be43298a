import request from 'supertest';
import { bootApp } from './support/app';
import { useSuiteApp } from './support/suite';
import { E2E_CLIENT, NEEDED_SCOPE, displayNameOf, portalAuthorizeUrl, type SeedHandle } from './support/emulator';
import { callbackPath, consent, followCallback, signIn, signedIn, startLogin } from './support/flow';
import { h1Of, leaksIn, linkTargets, setCookie, textOf } from './support/html';

const HOME_SIGNED_OUT = 'Webex Integration example: Home';
const HOME_SIGNED_IN = 'Webex Integration example: Authenticated';
const ERROR = 'Webex Integration example: Error';

describe('Signing in with Webex', () => {
  const suite = useSuiteApp();

  const codeGrants = () => suite.emulator.controls.stats().tokenGrants.authorization_code;

  /** What the browser sees at / now: the h1 tells signed in from signed out. */
  async function homeH1(agent: request.Agent): Promise<string | undefined> {
    const home = await agent.get('/');
    expect(home.status).toBe(200);
    return h1Of(home.text);
  }

  afterEach(() => jest.restoreAllMocks());

  describe('GET /login', () => {
    it('sends the browser to the configured authorize endpoint with the integration, the needed scopes, state and PKCE', async () => {
      const { response, authorizeUrl } = await startLogin(suite.booted.agent());

      expect(response.status).toBe(302);
      expect(`${authorizeUrl.origin}${authorizeUrl.pathname}`).toBe(`${suite.emulator.origin}/v1/authorize`);
      const params = authorizeUrl.searchParams;
      expect(params.get('client_id')).toBe(E2E_CLIENT.clientId);
      expect(params.get('response_type')).toBe('code');
      expect(params.get('redirect_uri')).toBe(E2E_CLIENT.redirectUri);
      // The portal URL also grants spark:kms; only what the pages use is asked for.
      expect(params.get('scope')).toBe(NEEDED_SCOPE);
      expect(params.get('state')).toMatch(/^[A-Za-z0-9_-]{22,}$/);
      expect(params.get('state')).not.toBe('set_state_here');
      expect(params.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(params.get('code_challenge_method')).toBe('S256');
      expect(params.has('code_verifier')).toBe(false);
      expect(params.has('client_secret')).toBe(false);
    });

    it('sets the session cookie wxo.sid, HttpOnly and SameSite=Lax, before the trip to Webex', async () => {
      const { response } = await startLogin(suite.booted.agent());

      const cookie = setCookie(response, 'wxo.sid');
      expect(cookie).toBeDefined();
      expect(cookie?.value).not.toBe('');
      expect(cookie?.attributes).toMatch(/HttpOnly/i);
      expect(cookie?.attributes).toMatch(/SameSite=Lax/i);
      expect(cookie?.attributes).toMatch(/Path=\//i);
      expect(response.headers['cache-control']).toMatch(/no-store/);
    });

    it('uses a fresh state and a fresh PKCE challenge for every sign-in', async () => {
      const agent = suite.booted.agent();
      const first = await startLogin(agent);
      const second = await startLogin(agent);
      const third = await startLogin(suite.booted.agent());

      const states = [first, second, third].map((l) => l.state);
      const challenges = [first, second, third].map((l) => l.authorizeUrl.searchParams.get('code_challenge'));
      expect(new Set(states).size).toBe(3);
      expect(new Set(challenges).size).toBe(3);
    });

    it('takes redirect_uri from configuration, never from forwarded headers', async () => {
      const { authorizeUrl } = await startLogin(
        suite.booted.agent().set('X-Forwarded-Host', 'evil.example').set('X-Forwarded-Proto', 'https'),
      );

      expect(authorizeUrl.searchParams.get('redirect_uri')).toBe(E2E_CLIENT.redirectUri);
      expect(authorizeUrl.origin).toBe(suite.emulator.origin);
    });
  });

  describe('a good sign-in', () => {
    it.each<[SeedHandle]>([['alice'], ['bob'], ['carol'], ['mallory']])(
      'signs %s in and greets them by their Webex display name',
      async (handle) => {
        const agent = suite.booted.agent();
        const grantsBefore = codeGrants();

        const callback = await signIn(agent, suite.emulator, handle);

        expect(callback.status).toBe(303);
        expect(callback.headers.location).toBe('/');
        expect(codeGrants()).toBe(grantsBefore + 1);
        const home = await agent.get('/');
        expect(home.status).toBe(200);
        expect(h1Of(home.text)).toBe(HOME_SIGNED_IN);
        expect(textOf(home.text)).toContain(`So happy to meet, ${displayNameOf(suite.emulator, handle)}!`);
      },
    );

    it('redirects to a clean URL, so the code never stays in the address bar', async () => {
      const agent = suite.booted.agent();
      const { authorizeUrl } = await startLogin(agent);
      const callbackUrl = await consent(authorizeUrl, 'alice');
      const code = callbackUrl.searchParams.get('code') ?? '';

      const callback = await followCallback(agent, callbackUrl);

      expect(callback.status).toBe(303);
      expect(callback.headers.location).toBe('/');
      expect(callback.headers.location).not.toContain(code);
      expect(callback.text).not.toContain(code);
      expect(callback.headers['cache-control']).toMatch(/no-store/);
    });

    it('gives the browser a new session id at sign-in (no session fixation)', async () => {
      const agent = suite.booted.agent();
      const { response: login, authorizeUrl } = await startLogin(agent);
      const before = setCookie(login, 'wxo.sid')?.value;
      const callback = await followCallback(agent, await consent(authorizeUrl, 'alice'));
      const after = setCookie(callback, 'wxo.sid')?.value;

      expect(before).toBeDefined();
      expect(after).toBeDefined();
      expect(after).not.toBe(before);
      // The pre-sign-in session id, planted by an attacker, must not be signed in.
      const planted = await suite.booted.request().get('/').set('Cookie', `wxo.sid=${before}`);
      expect(h1Of(planted.text)).toBe(HOME_SIGNED_OUT);
      const victim = await suite.booted.request().get('/').set('Cookie', `wxo.sid=${after}`);
      expect(h1Of(victim.text)).toBe(HOME_SIGNED_IN);
    });
  });

  describe('parallel sign-ins in two tabs of one browser', () => {
    it.each([
      ['the first tab finishes first', [0, 1]],
      ['the second tab finishes first', [1, 0]],
    ])('completes both when %s', async (_name, order) => {
      const agent = suite.booted.agent();
      const tabs = [await startLogin(agent), await startLogin(agent)];
      const handles: SeedHandle[] = ['alice', 'bob'];
      const callbacks = [
        await consent(tabs[0].authorizeUrl, handles[0]),
        await consent(tabs[1].authorizeUrl, handles[1]),
      ];

      for (const tab of order) {
        const callback = await followCallback(agent, callbacks[tab]);
        expect(callback.status).toBe(303);
        expect(callback.headers.location).toBe('/');
        const home = await agent.get('/');
        expect(textOf(home.text)).toContain(`So happy to meet, ${displayNameOf(suite.emulator, handles[tab])}!`);
      }
    });
  });

  describe('callbacks carrying an error from Webex', () => {
    it.each([
      ['access_denied', 403, /declined/i],
      ['invalid_scope', 400, /invalid scope/i],
      ['server_error', 400, /problem on its side/i],
      ['temporarily_unavailable', 400, /could not complete/i],
      ['unsupported_response_type', 400, /could not complete/i],
    ])('answers error=%s with %i and an error page', async (error, status, message) => {
      const agent = suite.booted.agent();
      const { state } = await startLogin(agent);
      const grantsBefore = codeGrants();

      const response = await agent.get(callbackPath({ error, error_description: 'from Webex', state }));

      expect(response.status).toBe(status);
      expect(response.headers['content-type']).toMatch(/text\/html/);
      expect(h1Of(response.text)).toBe(ERROR);
      expect(textOf(response.text)).toMatch(message);
      expect(codeGrants()).toBe(grantsBefore);
      expect(await homeH1(agent)).toBe(HOME_SIGNED_OUT);
    });

    it('shows the decline page when the person declines on the Webex consent page', async () => {
      const agent = suite.booted.agent();
      const { authorizeUrl } = await startLogin(agent);
      const callbackUrl = await consent(authorizeUrl, 'alice', 'decline');
      const grantsBefore = codeGrants();

      const response = await followCallback(agent, callbackUrl);

      expect(callbackUrl.searchParams.get('error')).toBe('access_denied');
      expect(response.status).toBe(403);
      expect(h1Of(response.text)).toBe(ERROR);
      expect(textOf(response.text)).toMatch(/declined/i);
      expect(codeGrants()).toBe(grantsBefore);
    });

    it('does not reflect an error code that carries markup', async () => {
      const agent = suite.booted.agent();
      const { state } = await startLogin(agent);

      const response = await agent.get(callbackPath({ error: '<script>alert(1)</script>', state }));

      expect(response.status).toBe(400);
      expect(h1Of(response.text)).toBe(ERROR);
      expect(response.text).not.toContain('<script>alert(1)</script>');
    });

    it('spends the state of a callback that carried an error', async () => {
      const agent = suite.booted.agent();
      const { authorizeUrl, state } = await startLogin(agent);
      const good = await consent(authorizeUrl, 'alice');
      await agent.get(callbackPath({ error: 'access_denied', state }));
      const grantsBefore = codeGrants();

      const replay = await followCallback(agent, good);

      expect(replay.status).toBe(400);
      expect(textOf(replay.text)).toMatch(/does not match the one started in this browser/);
      expect(codeGrants()).toBe(grantsBefore);
    });
  });

  it('leaves a signed-in person signed in when a forged callback arrives', async () => {
    const agent = suite.booted.agent();
    await signIn(agent, suite.emulator, 'alice');

    const forged: Record<string, string>[] = [{ error: 'access_denied' }, { code: 'forged', state: 'forged' }, {}];
    for (const query of forged) {
      expect((await agent.get(callbackPath(query))).status).toBeGreaterThanOrEqual(400);
    }

    expect(await homeH1(agent)).toBe(HOME_SIGNED_IN);
    expect((await agent.get('/listrooms')).status).toBe(200);
  });

  describe('callbacks that must not reach the token endpoint', () => {
    it.each([
      ['without code and state', {}],
      ['without a code', { state: 'x'.repeat(43) }],
      ['without a state', { code: 'some-code' }],
      ['with an empty code', { code: '', state: 'x'.repeat(43) }],
    ])('rejects a callback %s as unexpected', async (_name, query) => {
      const agent = suite.booted.agent();
      await startLogin(agent);
      const grantsBefore = codeGrants();

      const response = await agent.get(callbackPath(query));

      expect(response.status).toBe(400);
      expect(h1Of(response.text)).toBe(ERROR);
      expect(textOf(response.text)).toMatch(/incomplete or had unexpected parts/);
      expect(codeGrants()).toBe(grantsBefore);
    });

    it('rejects a callback that repeats a parameter', async () => {
      const agent = suite.booted.agent();
      const { authorizeUrl } = await startLogin(agent);
      const good = await consent(authorizeUrl, 'alice');
      const grantsBefore = codeGrants();

      const response = await agent.get(`${good.pathname}${good.search}&code=second-code`);

      expect(response.status).toBe(400);
      expect(h1Of(response.text)).toBe(ERROR);
      expect(codeGrants()).toBe(grantsBefore);
      expect(await homeH1(agent)).toBe(HOME_SIGNED_OUT);
    });

    it('rejects a callback whose state was never issued', async () => {
      const agent = suite.booted.agent();
      const { authorizeUrl } = await startLogin(agent);
      const good = await consent(authorizeUrl, 'alice');
      const grantsBefore = codeGrants();

      const response = await agent.get(
        callbackPath({ code: good.searchParams.get('code') ?? '', state: 'A'.repeat(43) }),
      );

      expect(response.status).toBe(400);
      expect(textOf(response.text)).toMatch(/does not match the one started in this browser/);
      expect(codeGrants()).toBe(grantsBefore);
      expect(await homeH1(agent)).toBe(HOME_SIGNED_OUT);
    });

    it('rejects a callback whose state was already used', async () => {
      const agent = suite.booted.agent();
      const { authorizeUrl } = await startLogin(agent);
      const good = await consent(authorizeUrl, 'alice');
      expect((await followCallback(agent, good)).status).toBe(303);
      const grantsBefore = codeGrants();

      const replay = await followCallback(agent, good);

      expect(replay.status).toBe(400);
      expect(h1Of(replay.text)).toBe(ERROR);
      expect(textOf(replay.text)).toMatch(/does not match the one started in this browser/);
      expect(codeGrants()).toBe(grantsBefore);
    });

    it('rejects a state started in another browser (login CSRF)', async () => {
      const attacker = suite.booted.agent();
      const victim = suite.booted.agent();
      const { authorizeUrl } = await startLogin(attacker);
      const attackersCallback = await consent(authorizeUrl, 'mallory');
      await startLogin(victim);
      const grantsBefore = codeGrants();

      const response = await followCallback(victim, attackersCallback);

      expect(response.status).toBe(400);
      expect(textOf(response.text)).toMatch(/does not match the one started in this browser/);
      expect(codeGrants()).toBe(grantsBefore);
      expect(await homeH1(victim)).toBe(HOME_SIGNED_OUT);
    });

    it('rejects a state sent by a browser that has no session at all', async () => {
      const attacker = suite.booted.agent();
      const { authorizeUrl } = await startLogin(attacker);
      const attackersCallback = await consent(authorizeUrl, 'mallory');
      const grantsBefore = codeGrants();

      const response = await suite.booted.request().get(attackersCallback.pathname + attackersCallback.search);

      expect(response.status).toBe(400);
      expect(textOf(response.text)).toMatch(/does not match the one started in this browser/);
      expect(codeGrants()).toBe(grantsBefore);
    });

    it('rejects a callback whose state has expired', async () => {
      const shortLived = await bootApp(suite.emulator, { LOGIN_STATE_TTL: '30' });
      try {
        const agent = shortLived.agent();
        const { authorizeUrl } = await startLogin(agent);
        const callbackUrl = await consent(authorizeUrl, 'alice');
        const grantsBefore = codeGrants();
        const realNow = Date.now.bind(Date);
        jest.spyOn(Date, 'now').mockImplementation(() => realNow() + 31_000);

        const response = await followCallback(agent, callbackUrl);

        expect(response.status).toBe(400);
        expect(textOf(response.text)).toMatch(/does not match the one started in this browser/);
        expect(codeGrants()).toBe(grantsBefore);
      } finally {
        jest.restoreAllMocks();
        await shortLived.close();
      }
    });

    it('still accepts a callback a little before its state expires', async () => {
      const shortLived = await bootApp(suite.emulator, { LOGIN_STATE_TTL: '30' });
      try {
        const agent = shortLived.agent();
        const { authorizeUrl } = await startLogin(agent);
        const callbackUrl = await consent(authorizeUrl, 'alice');
        const realNow = Date.now.bind(Date);
        jest.spyOn(Date, 'now').mockImplementation(() => realNow() + 25_000);

        const response = await followCallback(agent, callbackUrl);

        expect(response.status).toBe(303);
      } finally {
        jest.restoreAllMocks();
        await shortLived.close();
      }
    });
  });

  describe('codes Webex refuses', () => {
    /** The 400 page for a code Webex would not take, with neither the code nor the secret in it. */
    function expectCodeRejectedPage(response: { status: number; text: string }, code: string): void {
      expect(response.status).toBe(400);
      expect(h1Of(response.text)).toBe(ERROR);
      expect(textOf(response.text)).toMatch(/did not accept the sign-in code/i);
      expect(leaksIn(response.text, [E2E_CLIENT.clientSecret, code])).toEqual([]);
    }

    // Decided on the status: Webex's REST-shaped refusal carries no OAuth `error` field.
    describe.each(['rest', 'oauth'] as const)('in the %s shape', (shape) => {
      beforeEach(() => suite.emulator.controls.setTokenErrorShape(shape));
      afterEach(() => suite.emulator.controls.reset());

      it.each([400, 401])('shows a 400 page to try again, not "Webex unavailable", for a bare %i', async (status) => {
        const agent = suite.booted.agent();
        const { authorizeUrl } = await startLogin(agent);
        const callbackUrl = await consent(authorizeUrl, 'alice');
        suite.emulator.controls.injectFault({
          route: 'token',
          grantType: 'authorization_code',
          kind: 'status',
          status,
        });

        const response = await followCallback(agent, callbackUrl);

        expectCodeRejectedPage(response, callbackUrl.searchParams.get('code') ?? '');
        expect(await homeH1(agent)).toBe(HOME_SIGNED_OUT);
      });
    });

    it('refuses a code issued for another sign-in of the same browser (PKCE binds code to sign-in)', async () => {
      const agent = suite.booted.agent();
      const first = await startLogin(agent);
      const second = await startLogin(agent);
      const firstCallback = await consent(first.authorizeUrl, 'mallory');
      const code = firstCallback.searchParams.get('code') ?? '';
      const grantsBefore = codeGrants();

      // An injected code paired with a state this browser really has: only PKCE can catch it.
      const response = await agent.get(callbackPath({ code, state: second.state }));

      expect(codeGrants()).toBe(grantsBefore + 1);
      expectCodeRejectedPage(response, code);
      expect(await homeH1(agent)).toBe(HOME_SIGNED_OUT);
    });

    it('refuses a code that was already redeemed, even with a fresh state of the same browser', async () => {
      const agent = suite.booted.agent();
      const first = await startLogin(agent);
      const second = await startLogin(agent);
      const firstCallback = await consent(first.authorizeUrl, 'alice');
      expect((await followCallback(agent, firstCallback)).status).toBe(303);
      const code = firstCallback.searchParams.get('code') ?? '';
      const grantsBefore = codeGrants();

      const response = await agent.get(callbackPath({ code, state: second.state }));

      expect(codeGrants()).toBe(grantsBefore + 1);
      expectCodeRejectedPage(response, code);
    });

    it('shows a sign-in-code error when the code expired before the browser came back', async () => {
      const agent = suite.booted.agent();
      const { authorizeUrl } = await startLogin(agent);
      const callbackUrl = await consent(authorizeUrl, 'alice');
      const code = callbackUrl.searchParams.get('code') ?? '';
      const realNow = Date.now.bind(Date);
      // Past the emulator's 300 s code lifetime, within the service's 600 s state lifetime.
      jest.spyOn(Date, 'now').mockImplementation(() => realNow() + 301_000);

      const response = await followCallback(agent, callbackUrl);
      jest.restoreAllMocks();

      expectCodeRejectedPage(response, code);
      expect(await homeH1(agent)).toBe(HOME_SIGNED_OUT);
    });
  });

  // A tutorial-made integration grants only what the tutorial ticks: sign-in must still work,
  // asking only for what the integration has, and the features it lacks say what to add.
  describe('an integration that lacks a scope some feature needs', () => {
    const narrow = useSuiteApp({ emulator: { grantedScopes: ['spark:people_read', 'spark:kms'] } });

    it('asks only for the scopes it has, signs in, and says what the missing feature needs', async () => {
      const agent = narrow.booted.agent();
      const { authorizeUrl } = await startLogin(agent);
      expect(authorizeUrl.searchParams.get('scope')).toBe('spark:people_read');
      await signedIn(agent, narrow.emulator, 'alice');

      const home = await agent.get('/');
      const spaces = await agent.get('/listrooms');

      expect(h1Of(home.text)).toBe(HOME_SIGNED_IN);
      expect(linkTargets(home.text, 'List my rooms (spaces)')).toEqual([]);
      expect(textOf(home.text)).toMatch(
        /List my rooms \(spaces\) \(unavailable: the integration needs the spark:rooms_read scope/,
      );
      expect(spaces.status).toBe(403);
      expect(textOf(spaces.text)).toMatch(/needs the Webex scope spark:rooms_read.*developer\.webex\.com/);
      expect(narrow.emulator.controls.stats().requests.rooms).toBe(0);
    });

    it('logs each feature as on or off when it starts', () => {
      expect(narrow.booted.logger.text).toMatch(/Sign-in: on \(spark:people_read\)/);
      expect(narrow.booted.logger.text).toMatch(/The spaces list: off, the integration lacks spark:rooms_read/);
      expect(narrow.booted.logger.text).toMatch(
        /Sign-in asks for: spark:people_read \(granted but not used: spark:kms\)/,
      );
    });
  });

  describe('a redirect URI on a path the service already answers', () => {
    const withCallback = (path: string) => ({
      AUTH_INIT_URL: portalAuthorizeUrl(suite.emulator, { ...E2E_CLIENT, redirectUri: `http://127.0.0.1:8080${path}` }),
    });

    it.each([
      '/',
      '/index.html',
      '/login',
      '/LOGIN',
      '/logout/',
      '/listrooms',
      '/spaces/any-space-id',
      '/health/live',
      '/static/app.css',
      '/favicon.ico',
    ])('refuses to start with the callback on %s, read from the routes and files the app serves', async (path) => {
      // Nest's route conflict policy names both handlers (main.ts adds what to change); static files are ours to check.
      await expect(bootApp(suite.emulator, withCallback(path))).rejects.toThrow(
        /(Duplicate route: GET \S+ is registered by both|is shadowed by).*OAuthCallbackController#callback|OAuthCallbackController#callback.*is shadowed by|redirect_uri path .* is under this service’s static files.*use a path of its own, such as \/oauth/s,
      );
    });

    it.each(['/auth/callback', '/login-callback', '/static-oauth'])('starts with the callback on %s', async (path) => {
      const app = await bootApp(suite.emulator, withCallback(path));
      await app.close();
    });
  });

  it('refuses to start with an integration that lacks the scope sign-in needs, saying which to tick', async () => {
    const client = { ...E2E_CLIENT, scopes: ['spark:rooms_read'] };
    await expect(
      bootApp(suite.emulator, { AUTH_INIT_URL: portalAuthorizeUrl(suite.emulator, client) }),
    ).rejects.toThrow(/AUTH_INIT_URL does not grant spark:people_read, which Sign-in needs/);
  });

  describe('the canonical host', () => {
    it.each(['/', '/index.html', '/login', '/login?next=1'])(
      'sends a browser that asked for %s on another host name to the redirect URI origin',
      async (path) => {
        const response = await suite.booted.agent().get(path).set('Host', 'localhost:1234');

        expect(response.status).toBe(302);
        expect(response.headers.location).toBe(`http://127.0.0.1:8080${path}`);
        // No sign-in starts on the wrong host: its cookie would not come back with the callback.
        expect(setCookie(response, 'wxo.sid')).toBeUndefined();
      },
    );

    it('sends a browser on a foreign host name to the configured origin, never to that host', async () => {
      const response = await suite.booted.agent().get('/login').set('Host', 'evil.example');

      expect(response.status).toBe(302);
      expect(new URL(response.headers.location).origin).toBe('http://127.0.0.1:8080');
    });

    it('does not redirect a browser already on the redirect URI host name, whatever its port', async () => {
      const response = await suite.booted.agent().get('/').set('Host', '127.0.0.1:9999');

      expect(response.status).toBe(200);
      expect(h1Of(response.text)).toBe(HOME_SIGNED_OUT);
    });
  });
});
