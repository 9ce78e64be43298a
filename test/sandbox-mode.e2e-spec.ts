import request from 'supertest';
import { bootApp, freePort, type BootedApp } from './support/app';
import { consent, followCallback, signedIn, startLogin, visit, type AppRequestOptions } from './support/flow';
import { h1Of, roomTitlesOf, textOf } from './support/html';
import { NEEDED_SCOPE } from './support/emulator';

const BANNER = /class="sandbox-banner"/;

/**
 * No AUTH_INIT_URL: the service starts its own Webex emulator on SANDBOX_PORT and registers
 * itself there with the redirect URI http://localhost:PORT/oauth.
 */
describe('Sandbox mode', () => {
  let booted: BootedApp;
  let port: number;
  let sandboxPort: number;
  let onHost: AppRequestOptions;

  beforeAll(async () => {
    port = await freePort();
    do sandboxPort = await freePort();
    while (sandboxPort === port);
    booted = await bootApp(undefined, { PORT: String(port), SANDBOX_PORT: String(sandboxPort) }, { listenPort: port });
    // The browser uses the redirect URI's host name, so its session cookie comes back with the callback.
    onHost = { host: `localhost:${port}` };
  });

  afterAll(async () => {
    await booted?.close();
  });

  it('shows the sandbox banner on the home page', async () => {
    const response = await visit(booted.agent(), '/', onHost);

    expect(response.status).toBe(200);
    expect(h1Of(response.text)).toBe('Webex Integration example: Home');
    expect(response.text).toMatch(BANNER);
  });

  it('sends a browser on 127.0.0.1 to localhost, where the redirect URI lives', async () => {
    const response = await booted.agent().get('/');

    expect(response.status).toBe(302);
    expect(response.headers.location).toBe(`http://localhost:${port}/`);
  });

  it('sends the browser to its own emulator as the sandbox integration', async () => {
    const { authorizeUrl } = await startLogin(booted.agent(), onHost);

    expect(`${authorizeUrl.origin}${authorizeUrl.pathname}`).toBe(`http://localhost:${sandboxPort}/v1/authorize`);
    expect(authorizeUrl.searchParams.get('client_id')).toBe('sandbox-client');
    expect(authorizeUrl.searchParams.get('redirect_uri')).toBe(`http://localhost:${port}/oauth`);
    // Login with Webex: the sandbox's own integration asks for openid email profile besides every call's scope.
    expect(authorizeUrl.searchParams.get('scope')?.split(' ')).toEqual(
      [...NEEDED_SCOPE.split(' '), 'openid', 'email', 'profile'].sort(),
    );
    expect(authorizeUrl.searchParams.get('nonce')).toMatch(/^[\w-]{43}$/);
    expect(authorizeUrl.searchParams.get('code_challenge_method')).toBe('S256');
  });

  it('walks the whole flow: sign in, greeting, spaces, logout, with the banner on every page', async () => {
    const agent = booted.agent();
    const { authorizeUrl } = await startLogin(agent, onHost);
    const callbackUrl = await consent(authorizeUrl, 'alice');
    expect(callbackUrl.origin).toBe(`http://localhost:${port}`);

    const callback = await followCallback(agent, callbackUrl, onHost);
    expect(callback.status).toBe(303);
    expect(callback.headers.location).toBe('/');

    const home = await visit(agent, '/', onHost);
    expect(h1Of(home.text)).toBe('Webex Integration example: Authenticated');
    expect(textOf(home.text)).toContain('So happy to meet, Alice Sandbox!');
    // Login with Webex: name and email come from the verified id_token.
    expect(textOf(home.text)).toMatch(/You signed in with Webex as \S+@\S+\./);
    expect(home.text).toMatch(BANNER);

    const rooms = await visit(agent, '/listrooms', onHost);
    expect(rooms.status).toBe(200);
    expect(roomTitlesOf(rooms.text)).toHaveLength(7);
    expect(rooms.text).toMatch(BANNER);

    const logoutPage = await visit(agent, '/logout', onHost);
    expect(logoutPage.text).toMatch(BANNER);
    const logout = await agent.post('/logout').set('Host', onHost.host ?? '');
    expect(logout.status).toBe(303);
    expect(h1Of((await visit(agent, '/', onHost)).text)).toBe('Webex Integration example: Home');
  });

  it('shows the banner on error pages too', async () => {
    const agent = booted.agent();
    const notFound = await visit(agent, '/nope', onHost);
    const declined = await visit(agent, '/oauth?error=access_denied', onHost);

    expect(notFound.status).toBe(404);
    expect(notFound.text).toMatch(BANNER);
    expect(declined.status).toBe(403);
    expect(declined.text).toMatch(BANNER);
  });

  it('signs in every seeded user, the empty and the hostile ones included', async () => {
    for (const handle of ['bob', 'mallory'] as const) {
      const agent = await signedIn(booted.agent(), undefined, handle, onHost);
      const rooms = await visit(agent, '/listrooms', onHost);
      expect(rooms.status).toBe(200);
      expect(rooms.text).not.toContain('<script>alert(1)</script>');
    }
  });

  it('stops its emulator when the app closes', async () => {
    const port2 = await freePort();
    let sandbox2: number;
    do sandbox2 = await freePort();
    while (sandbox2 === port2);
    const other = await bootApp(undefined, { PORT: String(port2), SANDBOX_PORT: String(sandbox2) });
    const consentPage = await request(`http://127.0.0.1:${sandbox2}`).get('/v1/authorize');
    expect(consentPage.status).toBe(400);

    await other.close();

    await expect(request(`http://127.0.0.1:${sandbox2}`).get('/v1/authorize')).rejects.toThrow(/ECONNREFUSED/);
  });
});
