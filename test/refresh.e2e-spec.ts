import { useSuiteApp } from './support/suite';
import { signedIn } from './support/flow';
import { h1Of, roomTitlesOf, textOf } from './support/html';

const HOME_SIGNED_OUT = 'Webex Integration example: Home';
const HOME_SIGNED_IN = 'Webex Integration example: Authenticated';
const SPACES_LIST = 'Webex Integration example: Spaces List';
const SIGN_IN_EXPIRED = /sign-in has expired/i;

describe('Keeping the Webex sign-in alive', () => {
  const suite = useSuiteApp();

  const stats = () => suite.emulator.controls.stats();
  const refreshGrants = () => stats().tokenGrants.refresh_token;

  afterEach(() => jest.restoreAllMocks());

  it('does not refresh an access token with plenty of life left', async () => {
    const agent = await signedIn(suite.booted.agent(), suite.emulator, 'alice');
    const before = stats();

    const response = await agent.get('/listrooms');

    expect(response.status).toBe(200);
    expect(refreshGrants()).toBe(before.tokenGrants.refresh_token);
    expect(stats().requests.rooms - before.requests.rooms).toBe(1);
  });

  it('refreshes an access token that expires within a minute before calling Webex with it', async () => {
    suite.emulator.controls.setTokenLifetimes({ accessTokenSeconds: 30 });
    const agent = await signedIn(suite.booted.agent(), suite.emulator, 'alice');
    const before = stats();

    const response = await agent.get('/listrooms');

    expect(response.status).toBe(200);
    expect(h1Of(response.text)).toBe(SPACES_LIST);
    expect(roomTitlesOf(response.text)).toHaveLength(7);
    expect(refreshGrants() - before.tokenGrants.refresh_token).toBe(1);
    // Refreshed before the call, so Webex never saw a dying token: one rooms call, no 401 retry.
    expect(stats().requests.rooms - before.requests.rooms).toBe(1);
  });

  it('refreshes once and retries when Webex answers 401 to a token it has expired early', async () => {
    const agent = await signedIn(suite.booted.agent(), suite.emulator, 'alice');
    expect(suite.emulator.controls.expireAccessTokens({ handle: 'alice' })).toBeGreaterThan(0);
    const before = stats();

    const response = await agent.get('/listrooms');

    expect(response.status).toBe(200);
    expect(roomTitlesOf(response.text)).toHaveLength(7);
    expect(refreshGrants() - before.tokenGrants.refresh_token).toBe(1);
    expect(stats().requests.rooms - before.requests.rooms).toBe(2);
  });

  it('keeps the refreshed token in the session, so the next page needs no refresh', async () => {
    const agent = await signedIn(suite.booted.agent(), suite.emulator, 'alice');
    suite.emulator.controls.expireAccessTokens({ handle: 'alice' });
    expect((await agent.get('/listrooms')).status).toBe(200);
    const before = stats();

    const again = await agent.get('/listrooms');

    expect(again.status).toBe(200);
    expect(refreshGrants()).toBe(before.tokenGrants.refresh_token);
    expect(stats().requests.rooms - before.requests.rooms).toBe(1);
  });

  describe('when Webex rotates refresh tokens', () => {
    it('keeps working across repeated refreshes, using the newest refresh token each time', async () => {
      suite.emulator.controls.setRotateRefreshTokens(true);
      const agent = await signedIn(suite.booted.agent(), suite.emulator, 'alice');
      const before = refreshGrants();

      for (let round = 0; round < 3; round++) {
        suite.emulator.controls.expireAccessTokens({ handle: 'alice' });
        const response = await agent.get('/listrooms');
        expect(response.status).toBe(200);
        expect(roomTitlesOf(response.text)).toHaveLength(7);
      }

      expect(refreshGrants() - before).toBe(3);
      expect(h1Of((await agent.get('/')).text)).toBe(HOME_SIGNED_IN);
    });

    it('refreshes once for two pages asked for at the same time, and both work', async () => {
      suite.emulator.controls.setRotateRefreshTokens(true);
      suite.emulator.controls.setTokenLifetimes({ accessTokenSeconds: 30 });
      const agent = await signedIn(suite.booted.agent(), suite.emulator, 'alice');
      // Webex is slow to answer the refresh, so both pages are waiting on it at once.
      suite.emulator.controls.setLatency(150, 'token');
      const before = refreshGrants();

      const [first, second] = await Promise.all([agent.get('/listrooms'), agent.get('/listrooms')]);

      expect(first.status).toBe(200);
      expect(second.status).toBe(200);
      expect(refreshGrants() - before).toBe(1);
      suite.emulator.controls.setLatency(0);
      const third = await agent.get('/listrooms');
      expect(third.status).toBe(200);
      expect(h1Of((await agent.get('/')).text)).toBe(HOME_SIGNED_IN);
    });
  });

  it('refreshes once when two pages get a 401 at the same time, and both work', async () => {
    suite.emulator.controls.setRotateRefreshTokens(true);
    const agent = await signedIn(suite.booted.agent(), suite.emulator, 'alice');
    suite.emulator.controls.expireAccessTokens({ handle: 'alice' });
    suite.emulator.controls.setLatency(150, 'token');
    const before = refreshGrants();

    const [first, second] = await Promise.all([agent.get('/listrooms'), agent.get('/listrooms')]);

    expect([first.status, second.status]).toEqual([200, 200]);
    expect(refreshGrants() - before).toBe(1);
    suite.emulator.controls.setLatency(0);
    expect((await agent.get('/listrooms')).status).toBe(200);
  });

  // Webex words a dead refresh token in its REST shape, with no OAuth `error` field; the RFC 6749
  // shape is the other one seen. Any 400 or 401 to the refresh grant ends the sign-in, once.
  describe.each(['rest', 'oauth'] as const)('when Webex refuses the refresh token (%s-shaped body)', (shape) => {
    beforeEach(() => suite.emulator.controls.setTokenErrorShape(shape));

    it.each([
      ['after a 401 on the spaces call', undefined, undefined],
      ['before the spaces call, for a token about to expire', 30, undefined],
      ['with a 400 and nothing else to go by', 30, 400],
      ['with a 401 and nothing else to go by', 30, 401],
    ])('signs the session out cleanly %s', async (_when, accessTokenSeconds, refusal) => {
      if (accessTokenSeconds) suite.emulator.controls.setTokenLifetimes({ accessTokenSeconds });
      const agent = await signedIn(suite.booted.agent(), suite.emulator, 'alice');
      if (refusal) {
        suite.emulator.controls.injectFault({
          route: 'token',
          grantType: 'refresh_token',
          kind: 'status',
          status: refusal,
          times: Infinity,
        });
      } else {
        expect(suite.emulator.controls.revokeTokens({ handle: 'alice' })).toBeGreaterThan(0);
      }
      const before = stats();

      const response = await agent.get('/listrooms');

      expect(response.status).toBe(303);
      expect(response.headers.location).toBe('/');
      expect(refreshGrants() - before.tokenGrants.refresh_token).toBe(1);

      const home = await agent.get('/');
      expect(home.status).toBe(200);
      expect(h1Of(home.text)).toBe(HOME_SIGNED_OUT);
      expect(textOf(home.text)).toMatch(SIGN_IN_EXPIRED);

      // No loop: the next visit is simply signed out, and Webex is not asked again.
      const again = await agent.get('/listrooms');
      expect(again.status).toBe(303);
      expect(again.headers.location).toBe('/?next=%2Flistrooms');
      expect(refreshGrants() - before.tokenGrants.refresh_token).toBe(1);
      const homeAgain = await agent.get('/');
      expect(h1Of(homeAgain.text)).toBe(HOME_SIGNED_OUT);
      expect(textOf(homeAgain.text)).not.toMatch(SIGN_IN_EXPIRED);
      expect(refreshGrants() - before.tokenGrants.refresh_token).toBe(1);
    });

    it('answers a JSON client 401, not a 5xx, and signs it out too', async () => {
      suite.emulator.controls.setTokenLifetimes({ accessTokenSeconds: 30 });
      const agent = await signedIn(suite.booted.agent(), suite.emulator, 'alice');
      suite.emulator.controls.revokeTokens({ handle: 'alice' });

      const response = await agent.get('/listrooms').set('Accept', 'application/json');

      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ statusCode: 401, message: expect.stringMatching(SIGN_IN_EXPIRED) });
      expect(h1Of((await agent.get('/')).text)).toBe(HOME_SIGNED_OUT);
    });

    it('lets the person sign in again afterwards', async () => {
      const agent = await signedIn(suite.booted.agent(), suite.emulator, 'alice');
      suite.emulator.controls.revokeTokens({ handle: 'alice' });
      expect((await agent.get('/listrooms')).status).toBe(303);

      await signedIn(agent, suite.emulator, 'alice');
      const response = await agent.get('/listrooms');

      expect(response.status).toBe(200);
      expect(roomTitlesOf(response.text)).toHaveLength(7);
    });
  });

  it('signs out without asking Webex when the refresh token itself has expired', async () => {
    suite.emulator.controls.setTokenLifetimes({ accessTokenSeconds: 30, refreshTokenSeconds: 120 });
    const agent = await signedIn(suite.booted.agent(), suite.emulator, 'alice');
    const before = refreshGrants();
    const realNow = Date.now.bind(Date);
    jest.spyOn(Date, 'now').mockImplementation(() => realNow() + 121_000);

    const response = await agent.get('/listrooms');
    jest.restoreAllMocks();

    expect(response.status).toBe(303);
    expect(response.headers.location).toBe('/');
    expect(refreshGrants()).toBe(before);
    const home = await agent.get('/');
    expect(h1Of(home.text)).toBe(HOME_SIGNED_OUT);
    expect(textOf(home.text)).toMatch(SIGN_IN_EXPIRED);
  });

  describe('when the refresh fails for a reason that may pass', () => {
    it.each([
      ['a 500', 502, { kind: 'status', status: 500 } as const],
      ['a reset connection', 502, { kind: 'reset' } as const],
      ['a non-JSON answer', 502, { kind: 'non-json' } as const],
      ['a 429', 503, { kind: 'rate-limit', retryAfterSeconds: 9 } as const],
    ])('answers %s from the token endpoint with %i and keeps the person signed in', async (_name, status, fault) => {
      suite.emulator.controls.setTokenLifetimes({ accessTokenSeconds: 30 });
      const agent = await signedIn(suite.booted.agent(), suite.emulator, 'alice');
      // Until cleared: the answer must not depend on whether the service retries the refresh.
      suite.emulator.controls.injectFault({ route: 'token', grantType: 'refresh_token', times: Infinity, ...fault });

      const response = await agent.get('/listrooms');

      expect(response.status).toBe(status);
      expect(h1Of(response.text)).toBe('Webex Integration example: Error');
      if (status === 503) expect(response.headers['retry-after']).toBe('9');
      suite.emulator.controls.clearFaults();
      const home = await agent.get('/');
      expect(h1Of(home.text)).toBe(HOME_SIGNED_IN);
      const retry = await agent.get('/listrooms');
      expect(retry.status).toBe(200);
    });
  });
});
