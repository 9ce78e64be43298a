import type Redis from 'ioredis';
import type { WebexEmulator } from '../src/sandbox';
import { bootApp, type BootedApp, type EnvOverrides } from './support/app';
import { Browser } from './support/browser';
import { startTestEmulator } from './support/emulator';
import {
  connectRedis,
  deleteKeys,
  describeWithRedis,
  keysUnder,
  TEST_REDIS_URL,
  uniqueKeyPrefix,
} from './support/redis';

jest.setTimeout(20_000);

const ENDPOINTS = ['/health/live', '/health/ready'] as const;
/** What a browser sends when someone opens the address. */
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

/** The same contract whatever keeps the sessions. */
function healthContract(store: 'memory' | 'redis'): () => void {
  return () => {
    const prefix = uniqueKeyPrefix('health');
    let emulator: WebexEmulator;
    let booted: BootedApp;
    let redis: Redis | undefined;

    const env: EnvOverrides =
      store === 'redis'
        ? { SESSION_STORE: 'redis', REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix }
        : { SESSION_STORE: 'memory' };
    const setCookieOf = (headers: Record<string, unknown>) => headers['set-cookie'];
    const storedSessions = async () => (redis ? (await keysUnder(redis, `${prefix}sess:`)).length : undefined);

    beforeAll(async () => {
      if (store === 'redis') redis = connectRedis();
      emulator = await startTestEmulator();
      booted = await bootApp(emulator, env);
    });

    afterAll(async () => {
      await booted?.close();
      await emulator?.close();
      if (redis) {
        await deleteKeys(redis, prefix);
        await redis.quit();
      }
    });

    it('answers /health/live with 200 and JSON status ok', async () => {
      const response = await booted.request().get('/health/live');

      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.body).toMatchObject({ status: 'ok' });
    });

    it(`answers /health/ready with 200 and JSON saying the ${store} session store is up`, async () => {
      const response = await booted.request().get('/health/ready');

      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.body).toMatchObject({ status: 'ok', info: { sessionStore: { status: 'up', kind: store } } });
    });

    it.each(ENDPOINTS)('answers %s with JSON even to a browser that asks for HTML', async (path) => {
      const response = await booted.request().get(path).set('Accept', BROWSER_ACCEPT);

      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
    });

    it.each(ENDPOINTS)(
      'answers %s without sign-in, uncached, setting no cookie and storing no session',
      async (path) => {
        const before = await storedSessions();

        const response = await booted.request().get(path).redirects(0);

        expect(response.status).toBe(200);
        expect(response.headers['cache-control']).toMatch(/no-store/);
        expect(setCookieOf(response.headers)).toBeUndefined();
        expect(await storedSessions()).toBe(before);
      },
    );

    it.each(ENDPOINTS)('answers %s to a signed-in browser without touching its cookie', async (path) => {
      const browser = new Browser();
      await browser.signIn(booted, booted, 'alice');
      const cookie = browser.cookieHeader;

      const response = await browser.get(booted, path);

      expect(response.status).toBe(200);
      expect(setCookieOf(response.headers)).toBeUndefined();
      expect(browser.cookieHeader).toBe(cookie);
    });
  };
}

describe('Health endpoints with sessions in memory', healthContract('memory'));

describeWithRedis('Health endpoints with sessions in Redis', healthContract('redis'));
