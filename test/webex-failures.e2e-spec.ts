import type { FaultSpec } from '../src/sandbox';
import { bootApp } from './support/app';
import { useSuiteApp } from './support/suite';
import { E2E_CLIENT } from './support/emulator';
import { consent, followCallback, signedIn, startLogin } from './support/flow';
import { TRACKING_ID, h1Of, leaksIn, roomTitlesOf, textOf } from './support/html';

const HOME_SIGNED_OUT = 'Webex Integration example: Home';
const HOME_SIGNED_IN = 'Webex Integration example: Authenticated';
const ERROR = 'Webex Integration example: Error';

/** Small, so a hung Webex costs the suite half a second, not ten. */
const TIMEOUT_MS = 500;
/** Generous: the page must come back well before a person gives up, whatever the machine. */
const DEADLINE_MS = 4000;

type Fault = Omit<FaultSpec, 'route'>;

/**
 * Faults last until cleared: the page must fail the same way whether or not the service
 * retries idempotent calls (a retry that succeeds is not a failure this suite is about).
 */
const UNTIL_CLEARED = { times: Infinity } as const;

interface FailureCase {
  name: string;
  fault: Fault;
  status: number;
  retryAfter?: string;
  /** Whether Webex answered at all, and so sent a trackingid. */
  tracked: boolean;
}

const ROOMS_FAILURES: FailureCase[] = [
  { name: '403 (missing scope)', fault: { kind: 'status', status: 403 }, status: 403, tracked: true },
  {
    name: '429 with Retry-After',
    fault: { kind: 'rate-limit', retryAfterSeconds: 7 },
    status: 503,
    retryAfter: '7',
    tracked: true,
  },
  { name: '500', fault: { kind: 'status', status: 500 }, status: 502, tracked: true },
  { name: '502', fault: { kind: 'status', status: 502 }, status: 502, tracked: true },
  { name: '503', fault: { kind: 'status', status: 503 }, status: 502, tracked: true },
  {
    name: '503 with Retry-After',
    fault: { kind: 'status', status: 503, retryAfterSeconds: 4 },
    status: 503,
    retryAfter: '4',
    tracked: true,
  },
  { name: 'no answer (hang)', fault: { kind: 'hang' }, status: 502, tracked: false },
  { name: 'a reset connection', fault: { kind: 'reset' }, status: 502, tracked: false },
  { name: 'a non-JSON body', fault: { kind: 'non-json' }, status: 502, tracked: true },
];

const TOKEN_FAILURES: FailureCase[] = [
  { name: '500', fault: { kind: 'status', status: 500 }, status: 502, tracked: true },
  { name: '503', fault: { kind: 'status', status: 503 }, status: 502, tracked: true },
  {
    name: '429 with Retry-After',
    fault: { kind: 'rate-limit', retryAfterSeconds: 5 },
    status: 503,
    retryAfter: '5',
    tracked: true,
  },
  { name: 'no answer (hang)', fault: { kind: 'hang' }, status: 502, tracked: false },
  { name: 'a reset connection', fault: { kind: 'reset' }, status: 502, tracked: false },
  { name: 'a non-JSON body', fault: { kind: 'non-json' }, status: 502, tracked: true },
];

describe('When Webex fails', () => {
  const suite = useSuiteApp({ env: { WEBEX_TIMEOUT_MS: String(TIMEOUT_MS) } });

  describe('on the spaces list', () => {
    it.each(ROOMS_FAILURES.map((c) => [c.name, c] as const))(
      'answers %s with an error page and keeps the session',
      async (_name, c) => {
        const agent = await signedIn(suite.booted.agent(), suite.emulator, 'alice');
        suite.emulator.controls.injectFault({ route: 'rooms', ...UNTIL_CLEARED, ...c.fault });
        const started = Date.now();

        const response = await agent.get('/listrooms');

        const elapsed = Date.now() - started;
        expect(elapsed).toBeLessThan(DEADLINE_MS);
        // A hung Webex is given up on after WEBEX_TIMEOUT_MS, not sooner and not after the default 10 s.
        if (c.fault.kind === 'hang') expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
        expect(response.status).toBe(c.status);
        expect(response.headers['content-type']).toMatch(/text\/html/);
        expect(h1Of(response.text)).toBe(ERROR);
        if (c.retryAfter) expect(response.headers['retry-after']).toBe(c.retryAfter);
        else expect(response.headers['retry-after']).toBeUndefined();
        if (c.tracked) expect(textOf(response.text)).toMatch(TRACKING_ID);
        expect(leaksIn(response.text, [E2E_CLIENT.clientSecret])).toEqual([]);

        suite.emulator.controls.clearFaults();
        const home = await agent.get('/');
        expect(home.status).toBe(200);
        expect(h1Of(home.text)).toBe(HOME_SIGNED_IN);
        const retry = await agent.get('/listrooms');
        expect(retry.status).toBe(200);
        expect(roomTitlesOf(retry.text)).toHaveLength(7);
      },
    );

    // How the failure is rendered does not depend on how long Webex took to fail.
    it.each(ROOMS_FAILURES.filter((c) => c.fault.kind !== 'hang').map((c) => [c.name, c] as const))(
      'answers %s as a JSON error to a client that asks for JSON',
      async (_name, c) => {
        const agent = await signedIn(suite.booted.agent(), suite.emulator, 'alice');
        suite.emulator.controls.injectFault({ route: 'rooms', ...UNTIL_CLEARED, ...c.fault });

        const response = await agent.get('/listrooms').set('Accept', 'application/json');

        expect(response.status).toBe(c.status);
        expect(response.headers['content-type']).toMatch(/application\/json/);
        expect(response.text.trimStart().startsWith('<')).toBe(false);
        expect(response.body).toEqual(
          expect.objectContaining({ statusCode: c.status, error: expect.any(String), message: expect.any(String) }),
        );
        if (c.retryAfter) expect(response.headers['retry-after']).toBe(c.retryAfter);
        expect(leaksIn(response.text, [E2E_CLIENT.clientSecret])).toEqual([]);
      },
    );

    it('signs the session out cleanly when Webex answers 401 even after a refresh', async () => {
      const agent = await signedIn(suite.booted.agent(), suite.emulator, 'alice');
      const refreshesBefore = suite.emulator.controls.stats().tokenGrants.refresh_token;
      suite.emulator.controls.injectFault({ route: 'rooms', kind: 'status', status: 401, times: 2 });

      const response = await agent.get('/listrooms');

      expect(response.status).toBe(303);
      expect(response.headers.location).toBe('/');
      expect(suite.emulator.controls.stats().tokenGrants.refresh_token - refreshesBefore).toBe(1);
      const home = await agent.get('/');
      expect(h1Of(home.text)).toBe(HOME_SIGNED_OUT);
      expect(textOf(home.text)).toMatch(/sign-in has expired/i);
      const again = await agent.get('/listrooms');
      expect(again.status).toBe(303);
      expect(again.headers.location).toBe('/?next=%2Flistrooms');
    });

    it('fails the page when a later page of spaces fails, instead of showing part of the list', async () => {
      const paged = await bootApp(suite.emulator, { WEBEX_PAGE_SIZE: '3', WEBEX_TIMEOUT_MS: String(TIMEOUT_MS) });
      try {
        const agent = await signedIn(paged.agent(), suite.emulator, 'alice');
        expect((await agent.get('/listrooms')).status).toBe(200);
        // Faults apply first-match-first: a no-op 'slow' lets the first page through, the 500 hits the second.
        suite.emulator.controls.injectFault({ route: 'rooms', kind: 'slow', delayMs: 0 });
        suite.emulator.controls.injectFault({ route: 'rooms', kind: 'status', status: 500, ...UNTIL_CLEARED });

        const response = await agent.get('/listrooms');

        expect(response.status).toBe(502);
        expect(roomTitlesOf(response.text)).toEqual([]);
      } finally {
        await paged.close();
      }
    });
  });

  describe('during the sign-in callback', () => {
    it.each(TOKEN_FAILURES.map((c) => [c.name, c] as const))(
      'answers %s from the token endpoint with an error page and does not sign in',
      async (_name, c) => {
        const agent = suite.booted.agent();
        const { authorizeUrl } = await startLogin(agent);
        const callbackUrl = await consent(authorizeUrl, 'alice');
        const code = callbackUrl.searchParams.get('code') ?? '';
        suite.emulator.controls.injectFault({
          route: 'token',
          grantType: 'authorization_code',
          ...UNTIL_CLEARED,
          ...c.fault,
        });
        const started = Date.now();

        const response = await followCallback(agent, callbackUrl);

        expect(Date.now() - started).toBeLessThan(DEADLINE_MS);
        expect(response.status).toBe(c.status);
        expect(h1Of(response.text)).toBe(ERROR);
        if (c.retryAfter) expect(response.headers['retry-after']).toBe(c.retryAfter);
        if (c.tracked) expect(textOf(response.text)).toMatch(TRACKING_ID);
        expect(leaksIn(response.text, [E2E_CLIENT.clientSecret, code])).toEqual([]);
        const home = await agent.get('/');
        expect(h1Of(home.text)).toBe(HOME_SIGNED_OUT);
      },
    );

    it.each<[string, Fault, number]>([
      ['500', { kind: 'status', status: 500 }, 502],
      ['a non-JSON body', { kind: 'non-json' }, 502],
      ['no answer (hang)', { kind: 'hang' }, 502],
    ])('answers %s from /people/me with an error page and does not sign in', async (_name, fault, status) => {
      const agent = suite.booted.agent();
      const { authorizeUrl } = await startLogin(agent);
      const callbackUrl = await consent(authorizeUrl, 'alice');
      suite.emulator.controls.injectFault({ route: 'people/me', ...UNTIL_CLEARED, ...fault });

      const response = await followCallback(agent, callbackUrl);

      expect(response.status).toBe(status);
      expect(h1Of(response.text)).toBe(ERROR);
      expect(leaksIn(response.text, [E2E_CLIENT.clientSecret, callbackUrl.searchParams.get('code') ?? ''])).toEqual([]);
      expect(h1Of((await agent.get('/')).text)).toBe(HOME_SIGNED_OUT);
    });

    it('lets the person start again and sign in once Webex is back', async () => {
      const agent = suite.booted.agent();
      const { authorizeUrl } = await startLogin(agent);
      const callbackUrl = await consent(authorizeUrl, 'alice');
      suite.emulator.controls.injectFault({ route: 'token', kind: 'status', status: 503, ...UNTIL_CLEARED });
      expect((await followCallback(agent, callbackUrl)).status).toBe(502);
      suite.emulator.controls.clearFaults();

      await signedIn(agent, suite.emulator, 'alice');

      expect(h1Of((await agent.get('/')).text)).toBe(HOME_SIGNED_IN);
    });
  });

  it('never writes the client secret, a code, a token or a verifier to the log', async () => {
    const agent = suite.booted.agent();
    const { authorizeUrl } = await startLogin(agent);
    const callbackUrl = await consent(authorizeUrl, 'alice');
    const code = callbackUrl.searchParams.get('code') ?? '';
    suite.emulator.controls.injectFault({ route: 'token', kind: 'status', status: 500 });
    await followCallback(agent, callbackUrl);
    await signedIn(agent, suite.emulator, 'alice');
    suite.emulator.controls.expireAccessTokens({ handle: 'alice' });
    await agent.get('/listrooms');
    suite.emulator.controls.injectFault({ route: 'rooms', kind: 'status', status: 401, times: 2 });
    await agent.get('/listrooms');

    const log = suite.booted.logger.lines.join('\n');
    expect(log).not.toContain(E2E_CLIENT.clientSecret);
    expect(log).not.toContain(code);
    expect(leaksIn(log)).toEqual([]);
  });
});
