import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Request, Response } from 'express';
import type { SessionData } from 'express-session';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type JWK, type JWTPayload } from 'jose';
import { createHash } from 'node:crypto';
import { appConfig, oauthConfig } from '../config';
import { GrantStore, LoginStateStore, MemoryLoginStateStore, SessionService, type PendingSignIn } from '../session';
import { MemoryGrantStore } from '../session/memory-grant.store';
import { TokenCipher } from '../session/token-cipher';
import {
  WEBEX_TOKEN_ENDPOINT,
  WebexApiService,
  WebexBadResponseError,
  WebexGrantRefusedError,
  WebexUnavailableError,
  webexCalls,
  type OpenIdConfiguration,
  type WebexTokens,
} from '../webex';
import { SignInError } from './auth.errors';
import type { CallbackQueryDto } from './callback-query.dto';
import { FeaturesService } from './features.service';
import { SignInService } from './sign-in.service';

const oauth = {
  clientId: 'client-1',
  clientSecret: 'secret-1',
  authorizeEndpoint: 'https://webex.test/v1/authorize',
  redirectUri: 'http://localhost:8080/oauth',
  callbackPath: '/oauth',
  publicOrigin: 'http://localhost:8080',
  loginStateTtlSeconds: 600,
  openId: false,
  extraIssuers: [] as string[],
  loginRateLimit: 0,
};

/** Login with Webex: a regional identity broker, as Webex's discovery document names. */
const ISSUER = 'https://idbroker-b-us.webex.test/idb';
const EXTRA_ISSUER = 'https://idbroker.webex.test/idb';
const TOKEN_ENDPOINT = 'https://idbroker-b-us.webex.test/idb/oauth2/v1/access_token';
const USERINFO_ENDPOINT = 'https://idbroker-b-us.webex.test/idb/oauth2/v1/userinfo';
const JWKS_URI = 'https://idbroker-b-us.webex.test/idb/oauth2/v2/keys/verificationjwk';

const discovery = (overrides: Partial<OpenIdConfiguration> = {}): OpenIdConfiguration => ({
  issuer: ISSUER,
  authorization_endpoint: 'https://idbroker-b-us.webex.test/idb/oauth2/v1/authorize',
  token_endpoint: TOKEN_ENDPOINT,
  userinfo_endpoint: USERINFO_ENDPOINT,
  jwks_uri: JWKS_URI,
  id_token_signing_alg_values_supported: ['RS256'],
  token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
  ...overrides,
});

const tokens = (suffix: string): WebexTokens => ({
  accessToken: `access-${suffix}`,
  refreshToken: `refresh-${suffix}`,
  accessTokenExpiresAt: Date.now() + 3_600_000,
});

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;
type TestSession = Partial<SessionData>;
type TestRequest = Request & { session?: TestSession };

const now = () => Math.floor(Date.now() / 1000);

/** A request as express gives it to the controller: its query, and a session when the browser has one. */
function request(session?: TestSession, query: Record<string, string> = {}): TestRequest {
  return { query, ...(session ? { session } : {}) } as unknown as TestRequest;
}
const res = {} as Response;

/** SessionService without express-session: start() makes the session, regenerate() replaces it. */
class FakeSessions {
  regenerated = 0;
  start(req: TestRequest): Promise<TestSession> {
    req.session ??= {} as never;
    return Promise.resolve(req.session as TestSession);
  }
  regenerate(req: TestRequest, carry: TestSession = {}): Promise<TestSession> {
    this.regenerated++;
    req.session = { ...carry } as never;
    return Promise.resolve(req.session as TestSession);
  }
}

describe(SignInService.name, () => {
  let service: SignInService;
  let grants: MemoryGrantStore;
  let sessions: FakeSessions;
  let states: LoginStateStore;
  let webex: {
    exchangeCode: jest.Mock;
    refreshTokens: jest.Mock;
    get: jest.Mock;
    openIdConfiguration: jest.Mock;
    signingKeys: jest.Mock;
    userInfo: jest.Mock;
  };
  let key: KeyPair;
  let otherKey: KeyPair;
  let jwks: { keys: JWK[] };

  beforeAll(async () => {
    key = await generateKeyPair('RS256', { extractable: true });
    otherKey = await generateKeyPair('RS256', { extractable: true });
    jwks = { keys: [{ ...(await exportJWK(key.publicKey)), kid: 'key-1', use: 'sig', alg: 'RS256' }] };
  });

  async function make(
    config: Partial<typeof oauth> = {},
    app: { isProduction?: boolean } = {},
  ): Promise<SignInService> {
    const moduleRef = await Test.createTestingModule({
      providers: [
        SignInService,
        { provide: WebexApiService, useValue: webex },
        { provide: LoginStateStore, useValue: states },
        { provide: GrantStore, useValue: grants },
        { provide: SessionService, useValue: sessions },
        {
          provide: FeaturesService,
          useValue: {
            requestedScopes: () =>
              config.openId ? ['openid', 'email', 'spark:people_read'] : ['spark:people_read', 'spark:rooms_read'],
          },
        },
        { provide: oauthConfig.KEY, useValue: { ...oauth, ...config } },
        { provide: appConfig.KEY, useValue: { debugOAuth: false, isProduction: false, ...app } },
      ],
    }).compile();
    return moduleRef.get(SignInService);
  }

  beforeEach(async () => {
    webex = {
      exchangeCode: jest.fn().mockResolvedValue(tokens('1')),
      refreshTokens: jest.fn().mockResolvedValue(tokens('2')),
      get: jest.fn().mockResolvedValue({ id: 'person-1', displayName: 'Alice' }),
      openIdConfiguration: jest.fn().mockResolvedValue(discovery()),
      signingKeys: jest.fn().mockImplementation(() => Promise.resolve(jwks)),
      userInfo: jest.fn().mockResolvedValue({ sub: 'person-1', name: 'Alice Info', email: 'alice@info.test' }),
    };
    grants = new MemoryGrantStore({
      cipher: new TokenCipher([Buffer.alloc(32, 1)]),
      ttlMs: 60_000,
      refreshWaitMs: 1000,
      max: 100,
    });
    sessions = new FakeSessions();
    states = new MemoryLoginStateStore();
    service = await make();
  });

  afterEach(() => jest.restoreAllMocks());

  /** Starts a sign-in in `req`'s browser; the authorize URL's parameters. */
  async function begin(req: TestRequest) {
    return new URL(await service.begin(req, res)).searchParams;
  }

  /** A browser with a session, and the state of a sign-in it started. */
  async function started(req = request()) {
    const state = (await begin(req)).get('state')!;
    return { req, state };
  }

  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error('expected the sign-in to fail');
      },
      (error: unknown) => error,
    );

  describe('sign-in (OAuth 2.0 with PKCE, the person from /people/me)', () => {
    it('sends the browser to the authorize endpoint with a fresh state and an S256 PKCE challenge', async () => {
      const url = new URL(await service.begin(request(), res));
      expect(`${url.origin}${url.pathname}`).toBe(oauth.authorizeEndpoint);
      const p = url.searchParams;
      expect(p.get('client_id')).toBe('client-1');
      expect(p.get('response_type')).toBe('code');
      expect(p.get('redirect_uri')).toBe(oauth.redirectUri);
      expect(p.get('scope')).toBe('spark:people_read spark:rooms_read');
      expect(p.get('code_challenge_method')).toBe('S256');
      expect(p.get('state')).toMatch(/^[\w-]{43}$/); // 256 bits
      expect(p.get('code_challenge')).toMatch(/^[\w-]{43}$/);
      expect(p.has('client_secret')).toBe(false);
      expect(p.has('nonce')).toBe(false);

      const other = await begin(request());
      expect(other.get('state')).not.toBe(p.get('state'));
      expect(other.get('code_challenge')).not.toBe(p.get('code_challenge'));
    });

    it('gives the browser a session with a browser id, and keeps it across its sign-ins', async () => {
      const req = request();
      await begin(req);
      const browserId = req.session?.browserId;
      expect(browserId).toMatch(/^[\w-]{22}$/);
      await begin(req);
      expect(req.session?.browserId).toBe(browserId);
    });

    it('exchanges the code with the verifier whose hash was the challenge, stores the tokens and signs in', async () => {
      const req = request();
      const params = await begin(req);
      const browserId = req.session.browserId;

      await expect(service.complete(req, { code: 'code-1', state: params.get('state')! })).resolves.toBe('/');

      const [code, verifier, endpoint] = webex.exchangeCode.mock.calls[0] as [string, string, unknown];
      expect(code).toBe('code-1');
      expect(createHash('sha256').update(verifier).digest('base64url')).toBe(params.get('code_challenge'));
      expect(endpoint).toBeUndefined();
      expect(webex.get).toHaveBeenCalledWith(webexCalls.me, 'access-1');
      expect(webex.openIdConfiguration).not.toHaveBeenCalled();
      expect(sessions.regenerated).toBe(1);
      expect(req.session).toEqual({
        browserId,
        user: { id: 'person-1', displayName: 'Alice' },
        grantId: expect.stringMatching(/^[\w-]{24}$/),
        signedInAt: expect.any(Number),
      });
      await expect(grants.get(req.session.grantId!)).resolves.toMatchObject({
        accessToken: 'access-1',
        refreshToken: 'refresh-1',
        version: 1,
      });
    });

    it('returns to the page the sign-in started from, and never to another site', async () => {
      const req = request(undefined, { next: '/rooms?max=5' });
      const { state } = await started(req);
      await expect(service.complete(req, { code: 'c', state })).resolves.toBe('/rooms?max=5');

      const evil = request(undefined, { next: '//evil.test/rooms' });
      const { state: evilState } = await started(evil);
      await expect(service.complete(evil, { code: 'c', state: evilState })).resolves.toBe('/');
    });

    it('rejects a callback whose state was already used', async () => {
      const { req, state } = await started();
      await service.complete(req, { code: 'c', state });
      await expect(service.complete(req, { code: 'c', state })).rejects.toMatchObject({
        reason: 'state_mismatch',
      });
      expect(webex.exchangeCode).toHaveBeenCalledTimes(1);
    });

    it('rejects a state that belongs to another browser, and spends it', async () => {
      const { req, state } = await started();
      const otherBrowser = request();
      await begin(otherBrowser);
      await expect(service.complete(otherBrowser, { code: 'c', state })).rejects.toMatchObject({
        reason: 'state_mismatch',
      });
      await expect(service.complete(req, { code: 'c', state })).rejects.toMatchObject({
        reason: 'state_mismatch',
      });
      expect(webex.exchangeCode).not.toHaveBeenCalled();
      expect(sessions.regenerated).toBe(0);
    });

    it('rejects a callback in a browser with no session', async () => {
      const { state } = await started();
      await expect(service.complete(request(), { code: 'c', state })).rejects.toMatchObject({
        reason: 'state_mismatch',
      });
      expect(webex.exchangeCode).not.toHaveBeenCalled();
    });

    it('rejects a state older than its lifetime', async () => {
      const { req, state } = await started();
      const now = Date.now();
      jest.spyOn(Date, 'now').mockReturnValue(now + 601_000);
      await expect(service.complete(req, { code: 'c', state })).rejects.toMatchObject({
        reason: 'state_mismatch',
      });
      expect(webex.exchangeCode).not.toHaveBeenCalled();
    });

    it('rejects a state older than its lifetime even when the store still has it', async () => {
      // A store may keep an entry past its TTL (Redis' clock, a restored file): the sign-in checks the age itself.
      class LongLived extends MemoryLoginStateStore {
        override put(state: string, pending: PendingSignIn): Promise<void> {
          return super.put(state, pending, 3600);
        }
      }
      states = new LongLived();
      service = await make();
      const { req, state } = await started();
      const now = Date.now();
      jest.spyOn(Date, 'now').mockReturnValue(now + 601_000);
      await expect(service.complete(req, { code: 'c', state })).rejects.toMatchObject({
        reason: 'state_mismatch',
      });
      expect(webex.exchangeCode).not.toHaveBeenCalled();
    });

    it('keeps parallel sign-ins of one browser apart', async () => {
      const req = request();
      const first = (await begin(req)).get('state')!;
      const second = (await begin(req)).get('state')!;
      await service.complete(req, { code: 'c2', state: second });
      // The new session keeps the browser id, so the other tab's sign-in still matches.
      await service.complete(req, { code: 'c1', state: first });
      expect(webex.exchangeCode).toHaveBeenCalledTimes(2);
      expect(sessions.regenerated).toBe(2);
    });

    it.each([
      ['access_denied', 'access_denied'],
      ['invalid_scope', 'invalid_scope'],
      ['server_error', 'server_error'],
      ['temporarily_unavailable', 'other_error'],
      ['<script>', 'other_error'],
    ])('turns error=%s into a %s failure without calling the token endpoint', async (error, reason) => {
      const { req, state } = await started();
      await expect(service.complete(req, { error, state })).rejects.toMatchObject({ reason });
      expect(webex.exchangeCode).not.toHaveBeenCalled();
      // The state is spent by the error answer.
      await expect(service.complete(req, { code: 'c', state })).rejects.toMatchObject({
        reason: 'state_mismatch',
      });
    });

    it.each([[{ state: 's' }], [{ code: 'c' }], [{}]])(
      'rejects a callback missing code or state: %p',
      async (query) => {
        const { req } = await started();
        await expect(service.complete(req, query)).rejects.toMatchObject({ reason: 'unexpected_parameters' });
      },
    );

    it.each([400, 401])('reports a code refused with %i as code_rejected, whatever the body said', async (status) => {
      webex.exchangeCode.mockRejectedValueOnce(new WebexGrantRefusedError('no', 'POST /access_token', status, 'T1'));
      const { req, state } = await started();
      await expect(service.complete(req, { code: 'c', state })).rejects.toMatchObject({
        reason: 'code_rejected',
      });
      expect(sessions.regenerated).toBe(0);
    });

    it('lets other Webex failures through', async () => {
      webex.exchangeCode.mockRejectedValueOnce(new WebexUnavailableError('down', 'POST /access_token', 503));
      const { req, state } = await started();
      await expect(service.complete(req, { code: 'c', state })).rejects.toEqual(expect.any(WebexUnavailableError));
      expect(sessions.regenerated).toBe(0);
      expect(grants.dump()).toHaveLength(0);
    });

    it('refreshes with the refresh token at /access_token with the form, and returns the new tokens', async () => {
      await expect(service.refresh(tokens('1'))).resolves.toMatchObject({
        accessToken: 'access-2',
        refreshToken: 'refresh-2',
      });
      expect(webex.refreshTokens).toHaveBeenCalledWith('refresh-1', WEBEX_TOKEN_ENDPOINT);
      expect(WEBEX_TOKEN_ENDPOINT).toEqual({ url: '/access_token', auth: 'client_secret_post' });
      expect(webex.openIdConfiguration).not.toHaveBeenCalled();
    });

    it('does not read a discovery document at start-up', async () => {
      await service.onApplicationBootstrap();
      expect(webex.openIdConfiguration).not.toHaveBeenCalled();
    });
  });

  describe('Login with Webex (OpenID Connect)', () => {
    const OIDC = { openId: true, extraIssuers: [EXTRA_ISSUER] };
    let lines: { level: string; text: string }[];

    beforeEach(async () => {
      service = await make(OIDC);
      lines = [];
      for (const level of ['log', 'warn', 'error', 'debug', 'verbose'] as const) {
        jest
          .spyOn(Logger.prototype, level)
          .mockImplementation((...args: unknown[]) => void lines.push({ level, text: args.map(String).join(' ') }));
      }
    });

    const warnings = () => lines.filter((line) => line.level === 'warn').map((line) => line.text);
    const logged = () => lines.map((line) => line.text).join('\n');

    function claims(nonce: string, overrides: JWTPayload = {}): JWTPayload {
      return {
        iss: ISSUER,
        aud: oauth.clientId,
        sub: 'person-1',
        nonce,
        iat: now(),
        exp: now() + 3600,
        name: 'Alice Sandbox',
        email: 'alice@example.test',
        email_verified: true,
        ...overrides,
      };
    }

    const sign = (payload: JWTPayload, with_: KeyPair = key, kid = 'key-1') =>
      new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' }).sign(with_.privateKey);

    /**
     * A whole sign-in: begin, then Webex answers the code with the id_token `idTokenFor` makes
     * from the nonce of the authorize URL (none when it returns undefined), then the callback.
     */
    async function signIn(
      idTokenFor: (nonce: string) => Promise<string | undefined> = (nonce) => sign(claims(nonce)),
      callback: Partial<CallbackQueryDto> = {},
    ) {
      const req = request();
      const params = await begin(req);
      const nonce = params.get('nonce')!;
      const idToken = await idTokenFor(nonce);
      webex.exchangeCode.mockResolvedValue({ ...tokens('1'), ...(idToken ? { idToken } : {}) });
      const outcome = await service
        .complete(req, { code: 'code-1', state: params.get('state')!, ...callback })
        .catch((error: unknown) => error);
      return { req, params, nonce, idToken, outcome };
    }

    it('sends a fresh nonce of 256 bits with every sign-in', async () => {
      const first = await begin(request());
      const second = await begin(request());
      expect(first.get('nonce')).toMatch(/^[\w-]{43}$/);
      expect(second.get('nonce')).toMatch(/^[\w-]{43}$/);
      expect(second.get('nonce')).not.toBe(first.get('nonce'));
      expect(first.get('scope')).toBe('openid email spark:people_read');
    });

    it('signs in the id_token’s subject, with its name and email, and asks /people/me nothing', async () => {
      const { req, outcome } = await signIn();

      expect(outcome).toBe('/');
      expect(req.session?.user).toEqual({
        id: 'person-1',
        sub: 'person-1',
        displayName: 'Alice Sandbox',
        email: 'alice@example.test',
      });
      expect(sessions.regenerated).toBe(1);
      expect(webex.get).not.toHaveBeenCalled();
      expect(webex.userInfo).not.toHaveBeenCalled();
      expect(webex.signingKeys).toHaveBeenCalledWith(JWKS_URI);
      await expect(grants.get(req.session.grantId!)).resolves.toMatchObject({ accessToken: 'access-1' });
    });

    it('reads the discovery document once for many sign-ins', async () => {
      await signIn();
      await signIn();
      expect(webex.openIdConfiguration).toHaveBeenCalledTimes(1);
    });

    it('deletes the saved grant again when the new session cannot be made, and fails with why', async () => {
      const down = new Error('the session store is down');
      jest.spyOn(sessions, 'regenerate').mockRejectedValueOnce(down);
      const save = jest.spyOn(grants, 'save');
      const { req, outcome } = await signIn();

      expect(outcome).toBe(down);
      expect(save).toHaveBeenCalledTimes(1);
      expect(grants.dump()).toHaveLength(0);
      expect(req.session?.user).toBeUndefined();
    });

    describe('the token endpoint', () => {
      it.each([
        ['both methods are advertised', 'client_secret_basic', ['client_secret_basic', 'client_secret_post']],
        ['only the Basic header is advertised', 'client_secret_basic', ['client_secret_basic']],
        ['only the form is advertised', 'client_secret_post', ['client_secret_post']],
        ['no method is advertised (the default)', 'client_secret_basic', undefined],
      ])('exchanges the code at the discovered endpoint when %s, by %s', async (_case, auth, methods) => {
        webex.openIdConfiguration.mockResolvedValue(discovery({ token_endpoint_auth_methods_supported: methods }));
        const { outcome, params } = await signIn();

        expect(outcome).toBe('/');
        const [code, verifier, endpoint] = webex.exchangeCode.mock.calls[0] as [string, string, unknown];
        expect(code).toBe('code-1');
        expect(createHash('sha256').update(verifier).digest('base64url')).toBe(params.get('code_challenge'));
        expect(endpoint).toEqual({ url: TOKEN_ENDPOINT, auth });
      });

      it('refuses a token endpoint that takes no client secret', async () => {
        webex.openIdConfiguration.mockResolvedValue(
          discovery({ token_endpoint_auth_methods_supported: ['private_key_jwt'] }),
        );
        const { outcome } = await signIn();
        expect(outcome).toBeInstanceOf(Error);
        expect(webex.exchangeCode).not.toHaveBeenCalled();
        expect(sessions.regenerated).toBe(0);
      });

      it('refreshes at the discovered token endpoint, and keeps no id_token from the answer', async () => {
        webex.refreshTokens.mockResolvedValueOnce({ ...tokens('2'), idToken: 'an-id-token' });
        const refreshed = await service.refresh(tokens('1'));

        expect(webex.refreshTokens).toHaveBeenCalledWith('refresh-1', {
          url: TOKEN_ENDPOINT,
          auth: 'client_secret_basic',
        });
        expect(refreshed).toMatchObject({ accessToken: 'access-2', refreshToken: 'refresh-2' });
        expect(refreshed).not.toHaveProperty('idToken');
      });
    });

    it('never stores the id_token: not in the grant, not in the session', async () => {
      const save = jest.spyOn(grants, 'save');
      const { req, idToken, outcome } = await signIn();

      expect(outcome).toBe('/');
      expect(save).toHaveBeenCalledTimes(1);
      expect(save.mock.calls[0][1]).not.toHaveProperty('idToken');
      expect(save.mock.calls[0][1]).toMatchObject({ accessToken: 'access-1', refreshToken: 'refresh-1' });
      expect(JSON.stringify(req.session)).not.toContain(idToken!.split('.')[2]);
    });

    describe('UserInfo', () => {
      it('fills in the name and email the id_token leaves out', async () => {
        const { req, outcome } = await signIn((nonce) =>
          sign(claims(nonce, { name: undefined, email: undefined, email_verified: undefined })),
        );

        expect(outcome).toBe('/');
        expect(webex.userInfo).toHaveBeenCalledWith(USERINFO_ENDPOINT, 'access-1');
        expect(req.session?.user).toEqual({
          id: 'person-1',
          sub: 'person-1',
          displayName: 'Alice Info',
          email: 'alice@info.test',
        });
      });

      it('keeps what the id_token says over what UserInfo says', async () => {
        const { req } = await signIn((nonce) => sign(claims(nonce, { email: undefined })));

        expect(webex.userInfo).toHaveBeenCalledTimes(1);
        expect(req.session?.user).toMatchObject({ displayName: 'Alice Sandbox', email: 'alice@info.test' });
      });

      it('signs in with the id_token’s claims alone when UserInfo fails at Webex', async () => {
        webex.userInfo.mockRejectedValueOnce(new WebexUnavailableError('down', 'GET userinfo_endpoint', 503));
        const { req, outcome } = await signIn((nonce) =>
          sign(claims(nonce, { email: undefined, email_verified: undefined })),
        );

        expect(outcome).toBe('/');
        expect(webex.userInfo).toHaveBeenCalledTimes(1);
        expect(req.session?.user).toEqual({ id: 'person-1', sub: 'person-1', displayName: 'Alice Sandbox' });
        expect(sessions.regenerated).toBe(1);
      });

      it('lets a UserInfo failure that is not Webex’s through', async () => {
        const bug = new TypeError('not Webex');
        webex.userInfo.mockRejectedValueOnce(bug);
        const { req, outcome } = await signIn((nonce) => sign(claims(nonce, { email: undefined })));

        expect(outcome).toBe(bug);
        expect(sessions.regenerated).toBe(0);
        expect(req.session?.user).toBeUndefined();
        expect(grants.dump()).toHaveLength(0);
      });

      it('refuses a UserInfo answer for another subject', async () => {
        webex.userInfo.mockResolvedValueOnce({ sub: 'person-2', name: 'Mallory', email: 'mallory@example.test' });
        const { req, outcome } = await signIn((nonce) => sign(claims(nonce, { name: undefined, email: undefined })));

        expect(outcome).toBeInstanceOf(SignInError);
        expect(outcome).toMatchObject({ reason: 'not_verified' });
        expect(sessions.regenerated).toBe(0);
        expect(req.session?.user).toBeUndefined();
        expect(grants.dump()).toHaveLength(0);
        expect(warnings().join('\n')).toMatch(/UserInfo is for another subject/);
      });
    });

    describe('the email', () => {
      it('is left out when the id_token says it is not verified, and the name is the display name', async () => {
        const { req, outcome } = await signIn((nonce) => sign(claims(nonce, { email_verified: false })));

        expect(outcome).toBe('/');
        expect(req.session?.user).toEqual({ id: 'person-1', sub: 'person-1', displayName: 'Alice Sandbox' });
        expect(JSON.stringify(req.session)).not.toContain('alice@example.test');
      });

      it('never becomes the display name when it is not verified', async () => {
        webex.userInfo.mockResolvedValueOnce({ sub: 'person-1' });
        const { req, outcome } = await signIn((nonce) =>
          sign(claims(nonce, { name: undefined, email_verified: false })),
        );

        expect(outcome).toBe('/');
        expect(req.session?.user).toEqual({ id: 'person-1', sub: 'person-1', displayName: 'Webex user' });
      });

      it.each([
        ['verified', true],
        ['not said to be unverified', undefined],
      ])('is kept when %s', async (_case, emailVerified) => {
        const { req, outcome } = await signIn((nonce) => sign(claims(nonce, { email_verified: emailVerified })));

        expect(outcome).toBe('/');
        expect(req.session?.user).toEqual({
          id: 'person-1',
          sub: 'person-1',
          displayName: 'Alice Sandbox',
          email: 'alice@example.test',
        });
      });
    });

    describe('the signing keys', () => {
      it('fails with Webex’s own error, trackingId and all, when they cannot be fetched', async () => {
        const down = new WebexUnavailableError('down', 'GET jwks_uri', 503, 'TRACK-1');
        webex.signingKeys.mockRejectedValue(down);
        const { req, outcome } = await signIn();

        expect(outcome).toBe(down);
        expect(outcome).not.toBeInstanceOf(SignInError);
        expect(outcome).toMatchObject({ status: 503, trackingId: 'TRACK-1' });
        expect(sessions.regenerated).toBe(0);
        expect(req.session?.user).toBeUndefined();
        expect(grants.dump()).toHaveLength(0);
      });

      it('fails with a WebexBadResponseError when what Webex sent is not a key set', async () => {
        webex.signingKeys.mockResolvedValue({ keys: 7 });
        const { req, outcome } = await signIn();

        expect(outcome).toBeInstanceOf(WebexBadResponseError);
        expect(outcome).not.toBeInstanceOf(SignInError);
        expect(outcome).toMatchObject({ operation: 'GET jwks_uri' });
        expect(sessions.regenerated).toBe(0);
        expect(req.session?.user).toBeUndefined();
      });
    });

    describe('an id_token that is not to be trusted', () => {
      it.each<[string, string, (nonce: string) => Promise<string | undefined>]>([
        ['from another issuer', 'issuer', (nonce) => sign(claims(nonce, { iss: 'https://evil.example.test/idb' }))],
        ['for another client', 'audience', (nonce) => sign(claims(nonce, { aud: 'another-client' }))],
        ['expired', 'expiry', (nonce) => sign(claims(nonce, { iat: now() - 300, exp: now() - 120 }))],
        ['signed by another key', 'signature', (nonce) => sign(claims(nonce), otherKey)],
        ['unsigned (alg none)', 'algorithm', (nonce) => Promise.resolve(new UnsecuredJWT(claims(nonce)).encode())],
        [
          'with the nonce of another sign-in',
          'nonce',
          async () => sign(claims((await begin(request())).get('nonce')!)),
        ],
        ['missing from the token answer', 'format', () => Promise.resolve(undefined)],
      ])('refuses one %s: not_verified, nobody signed in, the check logged', async (_case, check, idTokenFor) => {
        const { req, outcome, idToken } = await signIn(idTokenFor);

        expect(outcome).toBeInstanceOf(SignInError);
        expect(outcome).toMatchObject({ reason: 'not_verified' });
        expect(sessions.regenerated).toBe(0);
        expect(req.session?.user).toBeUndefined();
        expect(req.session?.grantId).toBeUndefined();
        expect(grants.dump()).toHaveLength(0);
        expect(warnings()).toEqual(
          expect.arrayContaining([
            expect.stringMatching(new RegExp(`^sign-in refused: id_token refused \\(${check}\\)`)),
          ]),
        );
        for (const part of idToken?.split('.') ?? []) {
          if (part) expect(logged()).not.toContain(part);
        }
      });

      it('refuses any for a sign-in begun without a nonce (before openid was on), even one whose nonce is ""', async () => {
        const req = request({ browserId: 'browser-1' });
        await states.put('state-1', { browserId: 'browser-1', codeVerifier: 'verifier-1', createdAt: Date.now() }, 600);
        webex.exchangeCode.mockResolvedValue({ ...tokens('1'), idToken: await sign(claims('')) });
        const outcome = await failure(service.complete(req, { code: 'code-1', state: 'state-1' }));

        expect(outcome).toBeInstanceOf(SignInError);
        expect(outcome).toMatchObject({ reason: 'not_verified' });
        expect(sessions.regenerated).toBe(0);
        expect(req.session?.user).toBeUndefined();
        expect(grants.dump()).toHaveLength(0);
        expect(warnings()).toEqual(
          expect.arrayContaining([expect.stringMatching(/^sign-in refused: id_token refused \(nonce\)/)]),
        );
      });

      it('accepts an issuer listed besides the discovery document’s (WEBEX_OIDC_ISSUERS)', async () => {
        const { req, outcome } = await signIn((nonce) => sign(claims(nonce, { iss: EXTRA_ISSUER })));
        expect(outcome).toBe('/');
        expect(req.session?.user?.sub).toBe('person-1');
      });

      it('refuses the listed issuer when it is not configured', async () => {
        service = await make({ openId: true, extraIssuers: [] });
        const { outcome } = await signIn((nonce) => sign(claims(nonce, { iss: EXTRA_ISSUER })));
        expect(outcome).toMatchObject({ reason: 'not_verified' });
      });
    });

    describe('the callback’s iss (RFC 9207)', () => {
      it.each([
        ['the discovery document’s issuer', ISSUER],
        ['a listed issuer', EXTRA_ISSUER],
      ])('accepts %s', async (_case, iss) => {
        const { outcome } = await signIn(undefined, { iss });
        expect(outcome).toBe('/');
      });

      it('accepts a callback that leaves it out', async () => {
        const { outcome } = await signIn(undefined, {});
        expect(outcome).toBe('/');
      });

      it('accepts a callback that leaves it out when the discovery document says it may be left out', async () => {
        webex.openIdConfiguration.mockResolvedValue(
          discovery({ authorization_response_iss_parameter_supported: false }),
        );
        const { outcome } = await signIn(undefined, {});
        expect(outcome).toBe('/');
      });

      it('refuses a callback that leaves it out when the discovery document says it is always sent', async () => {
        webex.openIdConfiguration.mockResolvedValue(
          discovery({ authorization_response_iss_parameter_supported: true }),
        );
        const { req, outcome } = await signIn(undefined, {});

        expect(outcome).toBeInstanceOf(SignInError);
        expect(outcome).toMatchObject({ reason: 'not_verified' });
        expect(webex.exchangeCode).not.toHaveBeenCalled();
        expect(sessions.regenerated).toBe(0);
        expect(req.session?.user).toBeUndefined();
        expect(warnings().join('\n')).toMatch(/callback has no iss/);

        const withIss = await signIn(undefined, { iss: ISSUER });
        expect(withIss.outcome).toBe('/');
      });

      it('logs a refused one on one line of printable text', async () => {
        const iss = 'https://evil.example/idb\nFAKE LOG LINE\r\u001b[31m\u0000\u2028';
        const { outcome } = await signIn(undefined, { iss });

        expect(outcome).toMatchObject({ reason: 'not_verified' });
        const line = warnings().find((text) => text.includes('iss is not an accepted issuer'));
        expect(line).toContain('https://evil.example/idb');
        expect(line).not.toMatch(/[^\x20-\x7e]/);
      });

      it('logs a refused one of 2000 characters in a line of about 400 at most', async () => {
        const { outcome } = await signIn(undefined, { iss: `https://evil.example/${'a'.repeat(2000)}` });

        expect(outcome).toMatchObject({ reason: 'not_verified' });
        const line = warnings().find((text) => text.includes('iss is not an accepted issuer'));
        expect(line).toContain('https://evil.example/aaa');
        expect(line!.length).toBeLessThanOrEqual(400);
      });

      it('refuses another one before the code is exchanged', async () => {
        const { req, outcome } = await signIn(undefined, { iss: 'https://mix-up.example.test/idb' });

        expect(outcome).toBeInstanceOf(SignInError);
        expect(outcome).toMatchObject({ reason: 'not_verified' });
        expect(webex.exchangeCode).not.toHaveBeenCalled();
        expect(sessions.regenerated).toBe(0);
        expect(req.session?.user).toBeUndefined();
        expect(grants.dump()).toHaveLength(0);
        expect(warnings().join('\n')).toMatch(/callback's iss is not an accepted issuer/);
      });
    });

    describe('the discovery document', () => {
      it('is read at start-up, and says where id_tokens come from', async () => {
        await service.onApplicationBootstrap();
        expect(webex.openIdConfiguration).toHaveBeenCalledTimes(1);
        expect(lines).toContainEqual({
          level: 'log',
          text: expect.stringContaining(`id_tokens from ${ISSUER} or ${EXTRA_ISSUER}; tokens by client_secret_basic`),
        });
        await signIn();
        expect(webex.openIdConfiguration).toHaveBeenCalledTimes(1);
      });

      it('stops a production start-up that cannot read it, naming WEBEX_API_BASE_URL', async () => {
        service = await make(OIDC, { isProduction: true });
        webex.openIdConfiguration.mockRejectedValueOnce(
          new WebexUnavailableError('Webex answered 503', 'GET /.well-known/openid-configuration', 503),
        );
        const error = await failure(service.onApplicationBootstrap());
        expect(error).toBeInstanceOf(Error);
        expect((error as Error).message).toMatch(/WEBEX_API_BASE_URL/);
        expect((error as Error).message).toMatch(/Webex answered 503/);
      });

      it('elsewhere, says why at start-up, and the next sign-in reads it again', async () => {
        webex.openIdConfiguration.mockRejectedValueOnce(
          new WebexUnavailableError('Webex answered 503', 'GET /.well-known/openid-configuration', 503),
        );
        await expect(service.onApplicationBootstrap()).resolves.toBeUndefined();
        expect(warnings().join('\n')).toMatch(/WEBEX_API_BASE_URL.*The next sign-in tries again/s);

        const { req, outcome } = await signIn();
        expect(outcome).toBe('/');
        expect(req.session?.user?.sub).toBe('person-1');
        expect(webex.openIdConfiguration).toHaveBeenCalledTimes(2);
      });

      it('fails a sign-in while it cannot be read, and tries again at the next one', async () => {
        webex.openIdConfiguration.mockRejectedValueOnce(
          new WebexUnavailableError('Webex answered 503', 'GET /.well-known/openid-configuration', 503),
        );
        const first = await signIn();
        expect(first.outcome).toBeInstanceOf(WebexUnavailableError);
        expect(sessions.regenerated).toBe(0);

        const second = await signIn();
        expect(second.outcome).toBe('/');
        expect(webex.openIdConfiguration).toHaveBeenCalledTimes(2);
      });

      it('refuses one whose id_tokens are signed with HS256 only', async () => {
        webex.openIdConfiguration.mockResolvedValue(discovery({ id_token_signing_alg_values_supported: ['HS256'] }));
        const production = await make(OIDC, { isProduction: true });
        const error = await failure(production.onApplicationBootstrap());
        expect((error as Error).message).toMatch(/HS256, not RS256/);

        const { outcome } = await signIn();
        expect(outcome).toBeInstanceOf(Error);
        expect(outcome).not.toBeInstanceOf(SignInError);
        expect(webex.exchangeCode).not.toHaveBeenCalled();
        expect(sessions.regenerated).toBe(0);
      });
    });
  });
});
