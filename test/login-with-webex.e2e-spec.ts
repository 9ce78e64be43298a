import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type request from 'supertest';
import type { IdTokenCheck } from '../src/auth/id-token.verifier';
import type { WebexEmulator } from '../src/sandbox';
import { EMULATOR_ISSUER, ID_TOKEN_FAULTS, type IdTokenFault } from '../src/sandbox/oidc-provider';
import { bootApp, freePort, type BootedApp, type EnvOverrides } from './support/app';
import { E2E_CLIENT, NEEDED_SCOPE, portalAuthorizeUrl, startTestEmulator, type SeedHandle } from './support/emulator';
import { consent, followCallback, signIn, signedIn, startLogin } from './support/flow';
import { h1Of, leaksIn, textOf } from './support/html';

const HOME_SIGNED_OUT = 'Webex Integration example: Home';
const HOME_SIGNED_IN = 'Webex Integration example: Authenticated';
const NOT_VERIFIED = 'We could not verify your sign-in with Webex';
const SIGNED_IN_AS = 'You signed in with Webex as';

/** The issuer the emulator puts on a wrong-issuer id_token: another identity broker. */
const OTHER_ISSUER = 'https://idbroker.elsewhere.invalid/idb';

const OPENID_SCOPES = ['openid', 'email', 'profile'] as const;
/** The e2e integration with Login with Webex ticked on the portal as well. */
const OPENID_CLIENT = { ...E2E_CLIENT, scopes: [...E2E_CLIENT.scopes, ...OPENID_SCOPES] };
/** An integration made for sign-in only: Login with Webex and nothing of the Webex API. */
const SIGN_IN_ONLY_CLIENT = { ...E2E_CLIENT, scopes: [...OPENID_SCOPES] };

/** The check of OpenID Connect Core 3.1.3.7 each bad id_token breaks, as the log names it. */
const CHECK_OF_FAULT: Record<IdTokenFault, IdTokenCheck> = {
  'wrong-issuer': 'issuer',
  'wrong-audience': 'audience',
  expired: 'expiry',
  'bad-signature': 'signature',
  'unknown-key': 'key',
  none: 'algorithm',
  'other-nonce': 'nonce',
};

/** A JWT in compact form, as an id_token would be written into a log line. */
const JWT_SHAPED = /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]*/;

interface SessionAnswer {
  signedIn: boolean;
  displayName?: string;
  sub?: string;
  email?: string;
  features: { key: string; available: boolean; missingScopes: string[] }[];
}

function userOf(emulator: WebexEmulator, handle: SeedHandle) {
  const user = emulator.users.find((u) => u.handle === handle);
  if (!user) throw new Error(`no seeded user ${handle}`);
  return user;
}

async function sessionOf(agent: request.Agent): Promise<SessionAnswer> {
  const answer = await agent.get('/api/v1/session');
  expect(answer.status).toBe(200);
  return answer.body as SessionAnswer;
}

/** The browser is signed out: the home page offers sign-in and the session API says so. */
async function expectSignedOut(agent: request.Agent): Promise<void> {
  const home = await agent.get('/');
  expect(home.status).toBe(200);
  expect(h1Of(home.text)).toBe(HOME_SIGNED_OUT);
  expect(textOf(home.text)).not.toContain(SIGNED_IN_AS);
  const session = await sessionOf(agent);
  expect(session.signedIn).toBe(false);
  expect(session).not.toHaveProperty('sub');
  expect(session).not.toHaveProperty('email');
}

/** The browser is signed in as `handle`, greeted by name, with the email Login with Webex gave. */
async function expectSignedInWithWebex(agent: request.Agent, emulator: WebexEmulator, handle: SeedHandle) {
  const user = userOf(emulator, handle);
  const home = await agent.get('/');
  expect(home.status).toBe(200);
  expect(h1Of(home.text)).toBe(HOME_SIGNED_IN);
  expect(textOf(home.text)).toContain(`So happy to meet, ${user.displayName}!`);
  expect(textOf(home.text)).toContain(`${SIGNED_IN_AS} ${user.email}.`);
  const session = await sessionOf(agent);
  expect(session).toMatchObject({ signedIn: true, displayName: user.displayName, sub: user.id, email: user.email });
}

/** The page of a sign-in Login with Webex refused: 400, said plainly, nothing of the flow shown. */
function expectNotVerified(answer: request.Response): void {
  expect(answer.status).toBe(400);
  expect(textOf(answer.text)).toContain(NOT_VERIFIED);
  expect(answer.headers.location).toBeUndefined();
  expect(leaksIn(answer.text, [E2E_CLIENT.clientSecret])).toEqual([]);
}

/** What the service wrote to its log since `from` (a line count), e.g. for one sign-in. */
const linesSince = (booted: BootedApp, from: number): string[] => booted.logger.lines.slice(from);

/** Nothing of the flow's secrets in the log: no id_token (or any JWT), and not the client secret. */
function expectNoSecretsLogged(booted: BootedApp, secrets: readonly string[] = []): void {
  const text = booted.logger.text;
  expect(text).not.toMatch(JWT_SHAPED);
  expect(text).not.toContain(E2E_CLIENT.clientSecret);
  for (const secret of secrets) expect(text).not.toContain(secret);
}

interface RelayedExchange {
  method: string;
  /** As asked: a path (reverse relay) or an absolute URL (as a forward proxy is asked). */
  url: string;
  headers: IncomingHttpHeaders;
  requestBody: string;
  status: number;
  responseBody: string;
}

interface Relay {
  url: string;
  port: number;
  readonly seen: RelayedExchange[];
  close(): Promise<void>;
}

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'transfer-encoding', 'te'];

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const kept = { ...headers };
  for (const name of HOP_BY_HOP) delete kept[name];
  return kept;
}

/**
 * An HTTP relay on 127.0.0.1 that records every exchange, headers and bodies both ways: as
 * HTTP_PROXY it is the network between the service and Webex (a request in absolute form goes
 * where it names); on a port the service was told is Webex's, it sends everything on to `to`.
 */
async function startRelay(to: string, port = 0): Promise<Relay> {
  const seen: RelayedExchange[] = [];
  const server = createServer((req, res) => {
    const sent: Buffer[] = [];
    req.on('data', (chunk: Buffer) => sent.push(chunk));
    req.on('end', () => {
      const requestBody = Buffer.concat(sent);
      const target = new URL(req.url ?? '/', to);
      const headers = { ...endToEnd(req.headers), host: target.host };
      const out = httpRequest(target, { method: req.method, headers }, (answer) => {
        const received: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => received.push(chunk));
        answer.on('end', () => {
          const body = Buffer.concat(received);
          seen.push({
            method: req.method ?? '',
            url: req.url ?? '',
            headers: req.headers,
            requestBody: requestBody.toString(),
            status: answer.statusCode ?? 0,
            responseBody: body.toString(),
          });
          res.writeHead(answer.statusCode ?? 502, { ...endToEnd(answer.headers), 'content-length': body.length });
          res.end(body);
        });
      });
      out.on('error', () => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end('relay: upstream failed');
      });
      out.end(requestBody);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const listening = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${listening}`,
    port: listening,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const PROXY_ENV = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy'] as const;

describe('Login with Webex (an integration with openid email profile)', () => {
  let emulator: WebexEmulator;
  let booted: BootedApp;
  /** Apps a test boots besides the suite's, closed after it. */
  const extraApps: BootedApp[] = [];
  const bootExtra = async (env: EnvOverrides) => {
    const app = await bootApp(emulator, { AUTH_INIT_URL: portalAuthorizeUrl(emulator, OPENID_CLIENT), ...env });
    extraApps.push(app);
    return app;
  };
  const codeGrants = () => emulator.controls.stats().tokenGrants.authorization_code;

  beforeAll(async () => {
    emulator = await startTestEmulator({ grantedScopes: OPENID_CLIENT.scopes });
    booted = await bootApp(emulator, { AUTH_INIT_URL: portalAuthorizeUrl(emulator, OPENID_CLIENT) });
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    emulator.controls.reset();
    for (const app of extraApps.splice(0)) await app.close();
  });
  afterAll(async () => {
    await booted?.close();
    await emulator?.close();
    for (const name of PROXY_ENV) delete process.env[name];
  });

  describe('a good sign-in', () => {
    it('asks Webex for openid email profile and a fresh nonce with every sign-in', async () => {
      const agent = booted.agent();
      const first = await startLogin(agent);
      const second = await startLogin(agent);
      const third = await startLogin(booted.agent());

      const params = first.authorizeUrl.searchParams;
      // Every feature's scope, the id_token's and the claims', sorted; never spark:kms, which no page uses.
      expect(params.get('scope')).toBe([...NEEDED_SCOPE.split(' '), ...OPENID_SCOPES].sort().join(' '));
      expect(params.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const nonces = [first, second, third].map((login) => login.authorizeUrl.searchParams.get('nonce'));
      expect(new Set(nonces).size).toBe(3);
      expect(params.get('nonce')).not.toBe(params.get('state'));
    });

    it('signs the person in from the verified id_token: greeted by name, the email shown, the subject in the session API', async () => {
      const agent = booted.agent();
      const from = booted.logger.lines.length;

      const callback = await signIn(agent, emulator, 'alice');

      expect(callback.status).toBe(303);
      expect(callback.headers.location).toBe('/');
      await expectSignedInWithWebex(agent, emulator, 'alice');
      expect(linesSince(booted, from).some((line) => line.includes('sign-in refused'))).toBe(false);
      expectNoSecretsLogged(booted);
    });

    it('signs each person in as themselves', async () => {
      for (const handle of ['bob', 'carol'] as const) {
        const agent = booted.agent();
        await signedIn(agent, emulator, handle);
        await expectSignedInWithWebex(agent, emulator, handle);
      }
    });

    it('authenticates to the discovery token endpoint with HTTP Basic, and no token or secret reaches the log', async () => {
      const proxy = await startRelay(emulator.origin);
      try {
        const app = await bootExtra({ HTTP_PROXY: proxy.url });
        const agent = app.agent();

        await signedIn(agent, emulator, 'alice');

        await expectSignedInWithWebex(agent, emulator, 'alice');
        // What the network between the service and Webex carried.
        const exchanges = proxy.seen.filter((seen) => seen.url === `${emulator.origin}/v1/access_token`);
        expect(exchanges).toHaveLength(1);
        const [exchange] = exchanges;
        expect(exchange.method).toBe('POST');
        expect(exchange.status).toBe(200);
        const basic = `Basic ${Buffer.from(`${E2E_CLIENT.clientId}:${E2E_CLIENT.clientSecret}`).toString('base64')}`;
        expect(exchange.headers.authorization).toBe(basic);
        const form = new URLSearchParams(exchange.requestBody);
        expect(form.get('grant_type')).toBe('authorization_code');
        expect(form.has('client_secret')).toBe(false);
        expect(exchange.requestBody).not.toContain(E2E_CLIENT.clientSecret);
        expect(proxy.seen.map((seen) => seen.url)).toEqual(
          expect.arrayContaining([`${emulator.origin}/v1/.well-known/openid-configuration`]),
        );

        const tokens = JSON.parse(exchange.responseBody) as Record<string, string>;
        expect(tokens.id_token).toMatch(JWT_SHAPED);
        const secrets = [tokens.id_token, tokens.access_token, tokens.refresh_token, basic.slice('Basic '.length)];
        expectNoSecretsLogged(app, secrets);
        // Nor is any of them shown to the browser.
        const home = await agent.get('/');
        const session = await agent.get('/api/v1/session');
        for (const secret of secrets) {
          expect(home.text).not.toContain(secret);
          expect(session.text).not.toContain(secret);
        }
      } finally {
        await proxy.close();
      }
    });
  });

  describe('an id_token that fails a check', () => {
    it.each(ID_TOKEN_FAULTS.map((fault) => [fault, CHECK_OF_FAULT[fault]] as const))(
      'refuses the "%s" id_token: 400 "not verified", signed out, the log names the %s check, and the next sign-in works',
      async (fault, check) => {
        emulator.controls.setIdTokenFault(fault);
        const agent = booted.agent();
        const from = booted.logger.lines.length;

        const callback = await signIn(agent, emulator, 'alice');

        expectNotVerified(callback);
        await expectSignedOut(agent);
        const refusals = linesSince(booted, from).filter((line) => line.includes('sign-in refused'));
        expect(refusals).toHaveLength(1);
        expect(refusals[0]).toContain(`sign-in refused: id_token refused (${check}): `);
        if (fault === 'wrong-issuer') expect(refusals[0]).toContain(`issuer received: ${OTHER_ISSUER}`);
        expectNoSecretsLogged(booted);

        // The service is still up, and takes good id_tokens again.
        emulator.controls.setIdTokenFault(undefined);
        const next = booted.agent();
        await signedIn(next, emulator, 'alice');
        await expectSignedInWithWebex(next, emulator, 'alice');
      },
    );

    it('signs no one in while Webex’s signing keys cannot be fetched', async () => {
      // A service that has not fetched the keys yet, and Webex's key set failing.
      const app = await bootExtra({});
      emulator.controls.injectFault({ route: 'verification', kind: 'status', status: 503, times: Infinity });
      const agent = app.agent();
      const from = app.logger.lines.length;

      const callback = await signIn(agent, emulator, 'alice');

      // Fails closed, as Webex's failure (502, with its trackingId in the log), not the person's.
      expect(callback.status).toBe(502);
      expect(callback.text).toContain('Webex could not be reached or failed to answer');
      expect(callback.headers.location).toBeUndefined();
      expect(leaksIn(callback.text, [E2E_CLIENT.clientSecret])).toEqual([]);
      await expectSignedOut(agent);
      expect(linesSince(app, from).join('\n')).toMatch(/GET jwks_uri → 503, .*trackingId=\S+; not retried/);

      emulator.controls.clearFaults();
      const next = app.agent();
      await signedIn(next, emulator, 'alice');
      await expectSignedInWithWebex(next, emulator, 'alice');
    });

    it('does not sign in a browser that tries again with the same callback after a refusal', async () => {
      emulator.controls.setIdTokenFault('wrong-audience');
      const agent = booted.agent();
      const { authorizeUrl } = await startLogin(agent);
      const callbackUrl = await consent(authorizeUrl, 'alice');
      expectNotVerified(await followCallback(agent, callbackUrl));
      emulator.controls.setIdTokenFault(undefined);

      const again = await followCallback(agent, callbackUrl);

      expect(again.status).toBe(400);
      await expectSignedOut(agent);
    });
  });

  describe('key rotation', () => {
    it('signs people in with id_tokens from a key rotated moments after the keys were fetched', async () => {
      await signedIn(booted.agent(), emulator, 'alice');
      const keyFetches = emulator.controls.stats().requests.verification;
      // Within the refetch cool-down: the service waits it out (2 s) and fetches once, rather than refuse.
      emulator.controls.rotateSigningKeys();

      const agent = booted.agent();
      const callback = await signIn(agent, emulator, 'bob');

      expect(callback.status).toBe(303);
      await expectSignedInWithWebex(agent, emulator, 'bob');
      // It asked Webex for the keys again, once.
      expect(emulator.controls.stats().requests.verification).toBe(keyFetches + 1);
    });
  });

  describe('the callback’s iss (RFC 9207)', () => {
    it('refuses a callback that names another issuer, before the code is used', async () => {
      const agent = booted.agent();
      const { authorizeUrl } = await startLogin(agent);
      const callbackUrl = await consent(authorizeUrl, 'alice');
      callbackUrl.searchParams.set('iss', 'https://evil.example/idb');
      const grants = codeGrants();
      const from = booted.logger.lines.length;

      const callback = await followCallback(agent, callbackUrl);

      expectNotVerified(callback);
      await expectSignedOut(agent);
      expect(codeGrants()).toBe(grants);
      expect(linesSince(booted, from).join('\n')).toContain('https://evil.example/idb');
    });

    it('signs in when the callback names the issuer of Webex’s discovery document', async () => {
      const agent = booted.agent();
      const { authorizeUrl } = await startLogin(agent);
      const callbackUrl = await consent(authorizeUrl, 'alice');
      callbackUrl.searchParams.set('iss', EMULATOR_ISSUER);

      const callback = await followCallback(agent, callbackUrl);

      expect(callback.status).toBe(303);
      expect(callback.headers.location).toBe('/');
      await expectSignedInWithWebex(agent, emulator, 'alice');
    });
  });

  describe('another accepted issuer (WEBEX_OIDC_ISSUERS)', () => {
    it('accepts an id_token from an issuer WEBEX_OIDC_ISSUERS lists, and still the discovery document’s', async () => {
      const app = await bootExtra({ WEBEX_OIDC_ISSUERS: OTHER_ISSUER });

      emulator.controls.setIdTokenFault('wrong-issuer');
      const elsewhere = app.agent();
      const callback = await signIn(elsewhere, emulator, 'alice');
      expect(callback.status).toBe(303);
      await expectSignedInWithWebex(elsewhere, emulator, 'alice');

      emulator.controls.setIdTokenFault(undefined);
      const usual = app.agent();
      await signedIn(usual, emulator, 'bob');
      await expectSignedInWithWebex(usual, emulator, 'bob');
    });

    it('still refuses that issuer where WEBEX_OIDC_ISSUERS does not list it', async () => {
      emulator.controls.setIdTokenFault('wrong-issuer');
      const agent = booted.agent();

      expectNotVerified(await signIn(agent, emulator, 'alice'));
      await expectSignedOut(agent);
    });
  });

  describe('the discovery document cannot be read', () => {
    it('starts outside production, says why, answers the sign-in with a 502 page, and works once Webex answers', async () => {
      const port = await freePort();
      const app = await bootExtra({ WEBEX_API_BASE_URL: `http://127.0.0.1:${port}/v1` });

      const warning = app.logger.lines.find((line) => line.includes('discovery document could not be used'));
      expect(warning).toBeDefined();
      expect(warning).toContain('WEBEX_API_BASE_URL');
      expect(warning).not.toContain(E2E_CLIENT.clientSecret);
      const home = await app.agent().get('/');
      expect(home.status).toBe(200);
      expect(h1Of(home.text)).toBe(HOME_SIGNED_OUT);

      // AUTH_INIT_URL's Webex signs the person in; the API the service was told to use is down.
      const agent = app.agent();
      const callback = await signIn(agent, emulator, 'alice');
      expect(callback.status).toBe(502);
      expect(textOf(callback.text)).toContain('Webex could not be reached');
      expect(leaksIn(callback.text, [E2E_CLIENT.clientSecret])).toEqual([]);
      await expectSignedOut(agent);
      expect(codeGrants()).toBe(0);

      // The next sign-in reads the document again.
      const api = await startRelay(emulator.origin, port);
      try {
        const next = app.agent();
        await signedIn(next, emulator, 'alice');
        await expectSignedInWithWebex(next, emulator, 'alice');
        expect(api.seen.map((seen) => seen.url)).toContain('/v1/.well-known/openid-configuration');
      } finally {
        await api.close();
      }
    });

    it('does not start in production, and says to check WEBEX_API_BASE_URL', async () => {
      const port = await freePort();
      let failure: unknown;
      try {
        const app = await bootApp(emulator, {
          AUTH_INIT_URL: portalAuthorizeUrl(emulator, OPENID_CLIENT),
          WEBEX_API_BASE_URL: `http://127.0.0.1:${port}/v1`,
          NODE_ENV: 'production',
        });
        extraApps.push(app);
      } catch (error) {
        failure = error;
      } finally {
        process.env.NODE_ENV = 'test';
      }

      expect(failure).toBeInstanceOf(Error);
      const { message } = failure as Error;
      expect(message).toMatch(/discovery document could not be used.*Check WEBEX_API_BASE_URL/s);
      expect(message).toContain('/.well-known/openid-configuration');
      expect(message).not.toContain(E2E_CLIENT.clientSecret);
    });
  });
});

describe('Login with Webex only (an integration with openid email profile and no Webex API scope)', () => {
  let emulator: WebexEmulator;
  let booted: BootedApp;

  beforeAll(async () => {
    emulator = await startTestEmulator({ grantedScopes: [...SIGN_IN_ONLY_CLIENT.scopes] });
    booted = await bootApp(emulator, { AUTH_INIT_URL: portalAuthorizeUrl(emulator, SIGN_IN_ONLY_CLIENT) });
  });
  afterEach(() => emulator.controls.reset());
  afterAll(async () => {
    await booted?.close();
    await emulator?.close();
  });

  it('starts, and asks for exactly email openid profile with a nonce', async () => {
    const home = await booted.agent().get('/');
    expect(home.status).toBe(200);
    expect(h1Of(home.text)).toBe(HOME_SIGNED_OUT);

    const { authorizeUrl } = await startLogin(booted.agent());

    expect(authorizeUrl.searchParams.get('scope')).toBe('email openid profile');
    expect(authorizeUrl.searchParams.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('signs the person in and greets them by name and email, without asking Webex’s People API', async () => {
    const agent = booted.agent();

    await signedIn(agent, emulator, 'alice');

    await expectSignedInWithWebex(agent, emulator, 'alice');
    expect(emulator.controls.stats().requests['people/me']).toBe(0);
  });

  it('refuses the pages that need a Webex API scope, naming it, and /api/v1/me (the profile feature is off)', async () => {
    const agent = await signedIn(booted.agent(), emulator, 'alice');
    // The header links only the pages of features that are on: Home and Log out.
    const nav = /<nav aria-label="Main">([\s\S]*?)<\/nav>/.exec((await agent.get('/')).text)?.[1] ?? '';
    expect([...nav.matchAll(/href="([^"]+)"/g)].map((match) => match[1])).toEqual(['/', '/logout']);

    const rooms = await agent.get('/listrooms');
    expect(rooms.status).toBe(403);
    expect(textOf(rooms.text)).toContain('needs the Webex scope spark:rooms_read');

    const me = await agent.get('/api/v1/me');
    expect(me.status).toBe(403);
    expect(me.text).toContain('spark:people_read');

    const session = await sessionOf(agent);
    expect(session.features.find((feature) => feature.key === 'profile')).toMatchObject({
      available: false,
      missingScopes: ['spark:people_read'],
    });
    expect(session.features.find((feature) => feature.key === 'signIn')).toMatchObject({ available: true });
    expect(emulator.controls.stats().requests['people/me']).toBe(0);
    expect(emulator.controls.stats().requests.rooms).toBe(0);
  });
});

describe('Sign-in without Login with Webex (an integration without openid)', () => {
  let emulator: WebexEmulator;
  let booted: BootedApp;

  beforeAll(async () => {
    emulator = await startTestEmulator();
    booted = await bootApp(emulator);
  });
  afterEach(() => emulator.controls.reset());
  afterAll(async () => {
    await booted?.close();
    await emulator?.close();
  });

  it('sends no nonce and asks for no openid', async () => {
    const { authorizeUrl } = await startLogin(booted.agent());

    expect(authorizeUrl.searchParams.has('nonce')).toBe(false);
    expect(authorizeUrl.searchParams.get('scope')).toBe(NEEDED_SCOPE);
  });

  it('greets the person from /people/me, with no "signed in with Webex as" line and no subject or email in the session API', async () => {
    const agent = await signedIn(booted.agent(), emulator, 'alice');

    const home = await agent.get('/');
    expect(h1Of(home.text)).toBe(HOME_SIGNED_IN);
    expect(textOf(home.text)).toContain(`So happy to meet, ${userOf(emulator, 'alice').displayName}!`);
    expect(textOf(home.text)).not.toContain(SIGNED_IN_AS);
    const session = await sessionOf(agent);
    expect(session.signedIn).toBe(true);
    expect(session).not.toHaveProperty('sub');
    expect(session).not.toHaveProperty('email');
    // Webex was never asked for Login with Webex's document.
    expect(emulator.controls.stats().requests['openid-configuration']).toBe(0);
  });
});
