import { setTimeout as sleep } from 'node:timers/promises';
import type { Response } from 'supertest';
import type { WebexEmulator } from '../src/sandbox';
import { bootApp, type BootedApp } from './support/app';
import { Browser } from './support/browser';
import { displayNameOf, startTestEmulator } from './support/emulator';
import { h1Of, leaksIn, roomTitlesOf, textOf } from './support/html';
import { describeWithRedisServer, PrivateRedisServer, uniqueKeyPrefix } from './support/redis';

jest.setTimeout(30_000);

const HOME_SIGNED_OUT = 'Webex Integration example: Home';
const HOME_SIGNED_IN = 'Webex Integration example: Authenticated';
const GREETING = 'So happy to meet';
/** Generous: the point is "answers, does not hang", not a latency budget. */
const ANSWER_DEADLINE_MS = 5000;
const RECOVERY_DEADLINE_MS = 10_000;
/** Long enough for the service's reconnect backoff to reach its ceiling (2 s): recovery is measured at its slowest. */
const OUTAGE_MS = 3000;

/** Sends a request and times it; one that gets no answer by the deadline fails as such (no 30 s test timeout). */
async function timed(request: (timeoutMs: number) => Promise<Response>): Promise<{ response: Response; ms: number }> {
  const started = performance.now();
  try {
    const response = await request(ANSWER_DEADLINE_MS);
    return { response, ms: Math.round(performance.now() - started) };
  } catch (error) {
    const ms = Math.round(performance.now() - started);
    throw new Error(`no answer after ${ms} ms (deadline ${ANSWER_DEADLINE_MS} ms): ${String(error)}`, { cause: error });
  }
}

describeWithRedisServer('When the Redis behind the sessions goes away and comes back', () => {
  let redis: PrivateRedisServer;
  let emulator: WebexEmulator;
  let booted: BootedApp;
  /** Signed in before the outage. */
  const browser = new Browser();
  let wentDownAt = 0;
  /** Printed once the app is closed: while it runs, bootApp's log capture swallows the console. */
  const figures: string[] = [];

  beforeAll(async () => {
    // A server of this suite's own, never the shared one: this suite stops it.
    redis = await PrivateRedisServer.start();
    emulator = await startTestEmulator();
    booted = await bootApp(emulator, {
      SESSION_STORE: 'redis',
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: uniqueKeyPrefix('redis-down'),
    });
  });

  afterAll(async () => {
    await booted?.close();
    await emulator?.close();
    await redis?.stop();
    if (figures.length > 0) console.log(figures.join('\n'));
  });

  describe('while Redis is down', () => {
    beforeAll(async () => {
      await browser.signIn(booted, booted, 'alice');
      const rooms = await browser.get(booted, '/listrooms');
      if (rooms.status !== 200) throw new Error(`/listrooms answered ${rooms.status} before the outage`);
      await redis.stop();
      wentDownAt = performance.now();
    });

    it('answers /health/ready with 503 and JSON saying the session store is down, promptly', async () => {
      const { response, ms } = await timed((timeoutMs) => booted.request().get('/health/ready').timeout(timeoutMs));
      const asHtml = await booted.request().get('/health/ready').set('Accept', 'text/html');
      figures.push(`Redis down: GET /health/ready answered ${response.status} in ${ms} ms`);

      expect(response.status).toBe(503);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.body).toMatchObject({ status: 'error', error: { sessionStore: { status: 'down' } } });
      expect(ms).toBeLessThan(ANSWER_DEADLINE_MS);
      expect(asHtml.status).toBe(503);
      expect(asHtml.headers['content-type']).toMatch(/^application\/json/);
    });

    it('answers a signed-in page with a 503 error page, promptly rather than hanging', async () => {
      const { response, ms } = await timed((timeoutMs) => browser.get(booted, '/listrooms', { timeoutMs }));
      figures.push(`Redis down: GET /listrooms (with a session cookie) answered ${response.status} in ${ms} ms`);

      expect(response.status).toBe(503);
      expect(response.headers['content-type']).toMatch(/^text\/html/);
      expect(leaksIn(response.text)).toEqual([]);
      expect(textOf(response.text)).not.toMatch(/redis|ECONNREFUSED|writeable/i);
      expect(ms).toBeLessThan(ANSWER_DEADLINE_MS);
    });

    it('answers a JSON client of a signed-in page with a 503 JSON error', async () => {
      const { response, ms } = await timed((timeoutMs) =>
        browser.get(booted, '/listrooms', { headers: { Accept: 'application/json' }, timeoutMs }),
      );

      expect(response.status).toBe(503);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.body).toMatchObject({ statusCode: 503 });
      expect(ms).toBeLessThan(ANSWER_DEADLINE_MS);
    });

    it('still shows the home page to a browser without a session', async () => {
      const { response, ms } = await timed((timeoutMs) => booted.request().get('/').timeout(timeoutMs));
      figures.push(`Redis down: GET / (no cookie) answered ${response.status} in ${ms} ms`);

      expect(response.status).toBe(200);
      expect(h1Of(response.text)).toBe(HOME_SIGNED_OUT);
      expect(ms).toBeLessThan(ANSWER_DEADLINE_MS);
    });

    it('never greets a browser with a session as signed in, since it cannot know who it is', async () => {
      const { response, ms } = await timed((timeoutMs) => browser.get(booted, '/', { timeoutMs }));
      figures.push(`Redis down: GET / (with a session cookie) answered ${response.status} in ${ms} ms`);

      expect([200, 503]).toContain(response.status);
      expect(textOf(response.text)).not.toContain(GREETING);
      expect(h1Of(response.text)).not.toBe(HOME_SIGNED_IN);
      expect(ms).toBeLessThan(ANSWER_DEADLINE_MS);
    });

    it('keeps the process up: /health/live still answers 200', async () => {
      const response = await booted.request().get('/health/live');

      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ status: 'ok' });
    });
  });

  describe('when Redis is back (empty: it keeps nothing on disk)', () => {
    let recoveryMs: number;
    let lastReady: Response;

    beforeAll(async () => {
      await sleep(Math.max(0, wentDownAt + OUTAGE_MS - performance.now()));
      await redis.start();
      const restartedAt = performance.now();
      const deadline = restartedAt + RECOVERY_DEADLINE_MS;
      do {
        lastReady = await booted.request().get('/health/ready');
        if (lastReady.status === 200) break;
        await sleep(50);
      } while (performance.now() < deadline);
      recoveryMs = Math.round(performance.now() - restartedAt);
      figures.push(
        `Redis back: /health/ready was 200 again ${recoveryMs} ms after redis-server answered ` +
          `(outage of ${Math.round(restartedAt - wentDownAt)} ms)`,
      );
    });

    it('is ready again within a few seconds, by itself', () => {
      expect(lastReady.status).toBe(200);
      expect(lastReady.body).toMatchObject({ status: 'ok', info: { sessionStore: { status: 'up' } } });
      expect(recoveryMs).toBeLessThan(RECOVERY_DEADLINE_MS);
    });

    it('lets a person sign in afresh', async () => {
      const again = new Browser();
      await again.signIn(booted, booted, 'alice');

      const home = await again.get(booted, '/');
      const rooms = await again.get(booted, '/listrooms');

      expect(home.status).toBe(200);
      expect(textOf(home.text)).toContain(`${GREETING}, ${displayNameOf(emulator, 'alice')}!`);
      expect(rooms.status).toBe(200);
      expect(roomTitlesOf(rooms.text).length).toBeGreaterThan(0);
    });

    it('treats a cookie whose session was lost with Redis as signed out', async () => {
      const home = await browser.get(booted, '/');
      const rooms = await browser.get(booted, '/listrooms');

      expect(home.status).toBe(200);
      expect(h1Of(home.text)).toBe(HOME_SIGNED_OUT);
      expect(rooms.status).toBe(303);
      expect(rooms.headers.location).toBe('/?next=%2Flistrooms');
    });
  });
});
