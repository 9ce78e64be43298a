import type { IssuedTokens, WebexEmulator } from './emulator.types';
import {
  CLIENT,
  OTHER_CLIENT,
  REDIRECT_URI,
  authorize,
  authorizeUrl,
  callApi,
  consentTx,
  exchangeCode,
  get,
  pkcePair,
  postForm,
  refresh,
  startTestEmulator,
  tokenRequest,
} from './sandbox.test-helpers';

/** Moves only Date forward: HTTP and the emulator's timers keep running for real. */
function useMovableClock(): (ms: number) => void {
  jest.useFakeTimers({
    now: Date.now(),
    doNotFake: [
      'nextTick',
      'setImmediate',
      'clearImmediate',
      'setInterval',
      'clearInterval',
      'setTimeout',
      'clearTimeout',
      'queueMicrotask',
      'hrtime',
      'performance',
    ],
  });
  return (ms) => jest.setSystemTime(Date.now() + ms);
}

function redirectQuery(res: Response): URLSearchParams {
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location') ?? 'missing:').searchParams;
}

/** The shape the token endpoint is set to answer errors in, by the describe block running. */
let tokenErrorShape: 'rest' | 'oauth' = 'rest';

/** A token endpoint refusal: the status, and the body in the shape set (the OAuth code only where it has one). */
async function expectOAuthError(res: Response, status: number, error: string): Promise<void> {
  expect(res.status).toBe(status);
  const body = (await res.json()) as Record<string, unknown>;
  const trackingId = res.headers.get('trackingid');
  expect(trackingId).toMatch(/^ROUTER_/);
  if (tokenErrorShape === 'oauth') {
    expect(body).toEqual({ error, error_description: expect.any(String), trackingID: trackingId });
  } else {
    expect(body).toEqual({ message: expect.any(String), errors: [{ description: body.message }], trackingId });
  }
}

describe('OAuth routes', () => {
  let emulator: WebexEmulator;

  beforeAll(async () => {
    emulator = await startTestEmulator();
  });
  afterAll(() => emulator.close());
  afterEach(() => {
    jest.useRealTimers();
    emulator.controls.reset();
  });

  describe('GET /v1/authorize', () => {
    it('serves a consent page naming the app, its scopes and every seeded user', async () => {
      const res = await get(authorizeUrl(emulator));
      const html = await res.text();

      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('content-security-policy')).toBe(
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http://localhost:8080; frame-ancestors 'none'",
      );
      expect(html).toContain('<title>Webex sandbox — sign in</title>');
      expect(html).toMatch(/offline Webex emulator/i);
      expect(html).toContain('not Webex');
      expect(html).toContain(`<code>${CLIENT.clientId}</code>`);
      expect(html).toContain('<code>spark:people_read</code>');
      expect(html).toContain('<code>spark:rooms_read</code>');
      expect(html).not.toContain('spark:kms');
      expect(html).toContain('<form method="post" action="/v1/authorize">');
      expect(html.match(/<input type="radio" name="user" value="(\w+)"/g)).toEqual([
        '<input type="radio" name="user" value="alice"',
        '<input type="radio" name="user" value="bob"',
        '<input type="radio" name="user" value="carol"',
        '<input type="radio" name="user" value="mallory"',
      ]);
      expect(html).toContain('<input type="radio" name="user" value="alice" checked>');
      expect(html.match(/ checked/g)).toHaveLength(1);
      expect(html).toContain('<button type="submit" name="decision" value="accept">Accept</button>');
      expect(html).toContain('<button type="submit" name="decision" value="decline">Decline</button>');
      expect(html).not.toMatch(/<script|onclick=|javascript:/i);
    });

    it('escapes user-controlled names on the consent page', async () => {
      const html = await (await get(authorizeUrl(emulator))).text();

      expect(html).toContain(
        '&lt;img src=x onerror=alert(1)&gt; Mallory &amp; &quot;Friends&quot; &#39;Quoted&#39; &lt;mallory@example.com&gt;',
      );
      expect(html).not.toContain('<img');
    });

    it('allows the redirect target of a redirect URI with its own query in form-action', async () => {
      const res = await get(authorizeUrl(emulator, { redirect_uri: CLIENT.redirectUris[1] }));

      expect(res.status).toBe(200);
      expect(res.headers.get('content-security-policy')).toContain("form-action 'self' http://app.test:3000;");
    });

    it('gives every visit its own consent transaction', async () => {
      expect(await consentTx(emulator)).not.toBe(await consentTx(emulator));
    });

    it.each([
      ['an unknown client_id', { client_id: 'nobody' }],
      ['no client_id', { client_id: undefined }],
      ['an unregistered redirect_uri', { redirect_uri: 'http://evil.test/oauth' }],
      ['a redirect_uri with an extra slash', { redirect_uri: `${REDIRECT_URI}/` }],
      ['a redirect_uri registered for another client', { redirect_uri: OTHER_CLIENT.redirectUris[0] }],
      ['no redirect_uri', { redirect_uri: undefined }],
    ])('answers %s with a 400 page and no redirect', async (_case, params) => {
      const res = await get(authorizeUrl(emulator, params));
      const html = await res.text();

      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(html).toContain(res.headers.get('trackingid'));
      expect(html).not.toContain('name="tx"');
    });

    it('answers a repeated client_id with a 400 page', async () => {
      const res = await get(`${authorizeUrl(emulator)}&client_id=${OTHER_CLIENT.clientId}`);

      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
    });

    it.each([
      ['response_type=token', { response_type: 'token' }, 'unsupported_response_type'],
      ['no response_type', { response_type: undefined }, 'unsupported_response_type'],
      ['a scope the integration lacks', { scope: 'spark:people_read spark:all' }, 'invalid_scope'],
      ['no scope', { scope: undefined }, 'invalid_scope'],
      ['an empty scope', { scope: '  ' }, 'invalid_scope'],
      [
        'code_challenge_method=plain',
        { code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' },
        'invalid_request',
      ],
      ['a method without a challenge', { code_challenge_method: 'S256' }, 'invalid_request'],
      ['a challenge without a method', { code_challenge: pkcePair().challenge }, 'invalid_request'],
      ['a challenge that is no SHA-256', { code_challenge: 'short', code_challenge_method: 'S256' }, 'invalid_request'],
    ])('redirects %s back with error=%s and the state', async (_case, params, error) => {
      const query = redirectQuery(await get(authorizeUrl(emulator, params)));

      expect(query.get('error')).toBe(error);
      expect(query.get('state')).toBe('state-123');
      expect(query.get('code')).toBeNull();
    });

    it('leaves state out of an error redirect when none was sent', async () => {
      const query = redirectQuery(await get(authorizeUrl(emulator, { scope: 'spark:all', state: undefined })));

      expect(query.get('error')).toBe('invalid_scope');
      expect(query.has('state')).toBe(false);
    });

    it('keeps the query a registered redirect URI already has', async () => {
      const res = await get(authorizeUrl(emulator, { redirect_uri: CLIENT.redirectUris[1], scope: 'spark:all' }));
      const location = new URL(res.headers.get('location') ?? '');

      expect(`${location.origin}${location.pathname}`).toBe('http://app.test:3000/cb');
      expect(location.searchParams.get('tenant')).toBe('blue');
      expect(location.searchParams.get('error')).toBe('invalid_scope');
    });

    it('redirects with a code at once for autoConsentUser', async () => {
      const auto = await startTestEmulator({ autoConsentUser: 'bob' });
      try {
        const query = redirectQuery(await get(authorizeUrl(auto)));
        const tokens = (await (await exchangeCode(auto, query.get('code') ?? '')).json()) as IssuedTokens;
        const me = (await (await callApi(auto, '/people/me', tokens)).json()) as { displayName: string };

        expect(query.get('state')).toBe('state-123');
        expect(me.displayName).toBe('Bob Newcomer');
      } finally {
        await auto.close();
      }
    });

    it('requires PKCE when requirePkce is set', async () => {
      const strict = await startTestEmulator({ requirePkce: true });
      try {
        expect(redirectQuery(await get(authorizeUrl(strict))).get('error')).toBe('invalid_request');
        const withPkce = await get(
          authorizeUrl(strict, { code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }),
        );
        expect(withPkce.status).toBe(200);
      } finally {
        await strict.close();
      }
    });
  });

  describe('POST /v1/authorize', () => {
    const consent = (form: Record<string, string>) => postForm(`${emulator.apiBaseUrl}/authorize`, form);

    it('redirects Accept with a fresh code of at least 128 bits and the state', async () => {
      const tx = await consentTx(emulator);
      const res = await consent({ tx, user: 'alice', decision: 'accept' });
      const query = redirectQuery(res);

      expect(res.headers.get('location')).toMatch(/^http:\/\/localhost:8080\/oauth\?code=/);
      expect(query.get('code')).toMatch(/^[A-Za-z0-9_-]{22,}$/);
      expect(query.get('state')).toBe('state-123');
    });

    it('redirects Decline with error=access_denied and the state', async () => {
      const query = redirectQuery(await consent({ tx: await consentTx(emulator), user: 'alice', decision: 'decline' }));

      expect(query.get('error')).toBe('access_denied');
      expect(query.get('state')).toBe('state-123');
      expect(query.get('code')).toBeNull();
    });

    it('accepts a consent transaction only once', async () => {
      const tx = await consentTx(emulator);
      await consent({ tx, user: 'alice', decision: 'accept' });

      const again = await consent({ tx, user: 'alice', decision: 'accept' });
      expect(again.status).toBe(400);
      expect(again.headers.get('location')).toBeNull();
    });

    it('refuses a consent transaction older than 10 minutes', async () => {
      const tx = await consentTx(emulator);
      useMovableClock()(10 * 60_000 + 1);

      expect((await consent({ tx, user: 'alice', decision: 'accept' })).status).toBe(400);
    });

    it.each([
      ['an unknown tx', { tx: 'made-up', user: 'alice', decision: 'accept' }],
      ['an empty tx', { tx: '', user: 'alice', decision: 'accept' }],
      ['an unknown user', { user: 'eve', decision: 'accept' }],
      ['no decision', { user: 'alice' }],
      ['another decision', { user: 'alice', decision: 'maybe' }],
    ])('answers %s with a 400 page', async (_case, form: Record<string, string>) => {
      const res = await consent({ tx: await consentTx(emulator), ...form });

      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('location')).toBeNull();
    });
  });

  // Webex words token refusals in its REST shape (the default); the OAuth shape is the option.
  describe.each(['rest', 'oauth'] as const)('token errors in the %s shape', (shape) => {
    beforeEach(() => {
      tokenErrorShape = shape;
      emulator.controls.setTokenErrorShape(shape);
    });

    describe('POST /v1/access_token with authorization_code', () => {
      it('issues Bearer tokens with lifetimes, uncached', async () => {
        const code = (await authorize(emulator)).get('code') ?? '';
        const res = await exchangeCode(emulator, code);
        const body = (await res.json()) as IssuedTokens;

        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
        expect(res.headers.get('cache-control')).toBe('no-store');
        expect(body).toEqual({
          access_token: expect.stringMatching(/^[A-Za-z0-9_-]{43,}$/),
          expires_in: 43_200,
          refresh_token: expect.stringMatching(/^[A-Za-z0-9_-]{43,}$/),
          refresh_token_expires_in: 5_184_000,
          token_type: 'Bearer',
        });
      });

      it('completes the PKCE flow with the right verifier', async () => {
        const { verifier, challenge } = pkcePair();
        const code =
          (await authorize(emulator, { code_challenge: challenge, code_challenge_method: 'S256' })).get('code') ?? '';

        expect((await exchangeCode(emulator, code, { code_verifier: verifier })).status).toBe(200);
      });

      it('accepts client credentials by HTTP Basic', async () => {
        const code = (await authorize(emulator)).get('code') ?? '';
        const basic = Buffer.from(`${CLIENT.clientId}:${CLIENT.clientSecret}`).toString('base64');
        const res = await tokenRequest(
          emulator,
          { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI },
          { authorization: `Basic ${basic}` },
        );

        expect(res.status).toBe(200);
      });

      it.each([
        ['a wrong secret', { client_secret: 'wrong' }],
        ['an unknown client', { client_id: 'nobody' }],
        ['no secret', { client_secret: '' }],
      ])('refuses %s with 401 invalid_client, leaving the code usable', async (_case, form) => {
        const code = (await authorize(emulator)).get('code') ?? '';

        await expectOAuthError(await exchangeCode(emulator, code, form), 401, 'invalid_client');
        expect((await exchangeCode(emulator, code)).status).toBe(200);
      });

      it('asks a client that failed HTTP Basic to authenticate', async () => {
        const basic = Buffer.from(`${CLIENT.clientId}:wrong`).toString('base64');
        const res = await tokenRequest(
          emulator,
          { grant_type: 'authorization_code', code: 'x', redirect_uri: REDIRECT_URI },
          { authorization: `Basic ${basic}` },
        );

        await expectOAuthError(res, 401, 'invalid_client');
        expect(res.headers.get('www-authenticate')).toMatch(/^Basic /);
      });

      it('refuses a reused code and withdraws the tokens it bought', async () => {
        const code = (await authorize(emulator)).get('code') ?? '';
        const first = (await (await exchangeCode(emulator, code)).json()) as IssuedTokens;

        await expectOAuthError(await exchangeCode(emulator, code), 400, 'invalid_grant');
        expect((await callApi(emulator, '/people/me', first)).status).toBe(401);
        await expectOAuthError(await refresh(emulator, first.refresh_token), 400, 'invalid_grant');
      });

      it('refuses a redirect_uri other than the one authorized, and burns the code', async () => {
        const code = (await authorize(emulator)).get('code') ?? '';

        await expectOAuthError(
          await exchangeCode(emulator, code, { redirect_uri: CLIENT.redirectUris[1] }),
          400,
          'invalid_grant',
        );
        await expectOAuthError(await exchangeCode(emulator, code), 400, 'invalid_grant');
      });

      it('refuses a code issued to another client', async () => {
        const code = (await authorize(emulator)).get('code') ?? '';
        const res = await exchangeCode(emulator, code, {
          client_id: OTHER_CLIENT.clientId,
          client_secret: OTHER_CLIENT.clientSecret,
        });

        await expectOAuthError(res, 400, 'invalid_grant');
      });

      it('refuses an unknown code', async () => {
        await expectOAuthError(await exchangeCode(emulator, 'not-a-code'), 400, 'invalid_grant');
      });

      it('refuses a code older than authCodeTtlSeconds', async () => {
        const code = (await authorize(emulator)).get('code') ?? '';
        useMovableClock()(300_001);

        await expectOAuthError(await exchangeCode(emulator, code), 400, 'invalid_grant');
      });

      it.each([
        ['a missing verifier', undefined],
        ['a wrong verifier', pkcePair().verifier],
        ['the challenge itself', 'challenge'],
        ['a too short verifier', 'abc'],
      ])('refuses %s when the code has a challenge', async (_case, verifier) => {
        const { challenge } = pkcePair();
        const code =
          (await authorize(emulator, { code_challenge: challenge, code_challenge_method: 'S256' })).get('code') ?? '';
        const extra: Record<string, string> = {};
        if (verifier !== undefined) extra.code_verifier = verifier === 'challenge' ? challenge : verifier;

        await expectOAuthError(await exchangeCode(emulator, code, extra), 400, 'invalid_grant');
      });

      it('refuses a verifier for a code that had no challenge (PKCE downgrade)', async () => {
        const code = (await authorize(emulator)).get('code') ?? '';

        await expectOAuthError(
          await exchangeCode(emulator, code, { code_verifier: pkcePair().verifier }),
          400,
          'invalid_grant',
        );
      });

      it.each([
        ['no grant_type', { grant_type: '' }, 'unsupported_grant_type'],
        ['grant_type=password', { grant_type: 'password' }, 'unsupported_grant_type'],
        ['no code', { code: '' }, 'invalid_request'],
        ['no redirect_uri', { redirect_uri: '' }, 'invalid_request'],
      ])('answers %s with 400 %s', async (_case, form, error) => {
        await expectOAuthError(await exchangeCode(emulator, 'some-code', form), 400, error);
      });

      it('answers a repeated parameter with 400 invalid_request', async () => {
        const body = `grant_type=authorization_code&client_id=${CLIENT.clientId}&client_secret=${CLIENT.clientSecret}&code=a&code=b&redirect_uri=x`;
        const res = await fetch(`${emulator.apiBaseUrl}/access_token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body,
        });

        await expectOAuthError(res, 400, 'invalid_request');
      });

      it('answers a JSON body as an unsupported grant, the endpoint taking forms only', async () => {
        const res = await fetch(`${emulator.apiBaseUrl}/access_token`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ grant_type: 'authorization_code' }),
        });

        await expectOAuthError(res, 400, 'unsupported_grant_type');
      });
    });

    describe('POST /v1/access_token with refresh_token', () => {
      async function signIn(target = emulator): Promise<IssuedTokens> {
        const code = (await authorize(target)).get('code') ?? '';
        return (await (await exchangeCode(target, code)).json()) as IssuedTokens;
      }

      it('issues a new access token and keeps the refresh token without rotation', async () => {
        const first = await signIn();
        const res = await refresh(emulator, first.refresh_token);
        const second = (await res.json()) as IssuedTokens;

        expect(res.status).toBe(200);
        expect(second.access_token).not.toBe(first.access_token);
        expect(second.refresh_token).toBe(first.refresh_token);
        expect(second.refresh_token_expires_in).toBeLessThanOrEqual(first.refresh_token_expires_in);
        expect(second.refresh_token_expires_in).toBeGreaterThan(first.refresh_token_expires_in - 5);
        expect((await callApi(emulator, '/people/me', second)).status).toBe(200);
        expect((await callApi(emulator, '/people/me', first)).status).toBe(200);
        expect((await refresh(emulator, first.refresh_token)).status).toBe(200);
      });

      it('rotates the refresh token when asked, refusing the old one', async () => {
        const rotating = await startTestEmulator({ rotateRefreshTokens: true, tokenErrorShape: shape });
        try {
          const first = await signIn(rotating);
          const second = (await (await refresh(rotating, first.refresh_token)).json()) as IssuedTokens;

          expect(second.refresh_token).not.toBe(first.refresh_token);
          expect(second.refresh_token_expires_in).toBe(5_184_000);
          await expectOAuthError(await refresh(rotating, first.refresh_token), 400, 'invalid_grant');
          expect((await refresh(rotating, second.refresh_token)).status).toBe(200);
        } finally {
          await rotating.close();
        }
      });

      it('turns rotation on at run time', async () => {
        const first = await signIn();
        emulator.controls.setRotateRefreshTokens(true);
        const second = (await (await refresh(emulator, first.refresh_token)).json()) as IssuedTokens;

        expect(second.refresh_token).not.toBe(first.refresh_token);
        await expectOAuthError(await refresh(emulator, first.refresh_token), 400, 'invalid_grant');
      });

      it('refuses a revoked refresh token', async () => {
        const tokens = await signIn();
        emulator.controls.revokeTokens({ handle: 'alice' });

        await expectOAuthError(await refresh(emulator, tokens.refresh_token), 400, 'invalid_grant');
      });

      it('refuses an expired refresh token', async () => {
        const tokens = await signIn();
        useMovableClock()(5_184_000_000 + 1);

        await expectOAuthError(await refresh(emulator, tokens.refresh_token), 400, 'invalid_grant');
      });

      it("refuses another client's refresh token", async () => {
        const tokens = emulator.controls.issueTokens('alice', OTHER_CLIENT.clientId);

        await expectOAuthError(await refresh(emulator, tokens.refresh_token), 400, 'invalid_grant');
      });

      it('refuses an unknown refresh token, and a missing one as a bad request', async () => {
        await expectOAuthError(await refresh(emulator, 'made-up'), 400, 'invalid_grant');
        await expectOAuthError(await refresh(emulator, ''), 400, 'invalid_request');
      });

      it('counts token requests per grant, failed ones included', async () => {
        await signIn();
        await refresh(emulator, 'made-up');
        await exchangeCode(emulator, 'made-up', { client_secret: 'wrong' });

        expect(emulator.controls.stats().tokenGrants).toEqual({ authorization_code: 2, refresh_token: 1 });
        expect(emulator.controls.stats().requests.token).toBe(3);
      });
    });
  });
});
