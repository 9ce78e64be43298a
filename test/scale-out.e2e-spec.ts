import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type Redis from 'ioredis';
import type { WebexEmulator } from '../src/sandbox';
import { GrantStore, type Grant } from '../src/session';
import { bootApp, type BootedApp, type EnvOverrides } from './support/app';
import { Browser, sessionIdOf, type Instance } from './support/browser';
import { displayNameOf, startTestEmulator } from './support/emulator';
import { consent } from './support/flow';
import { h1Of, roomTitlesOf, textOf } from './support/html';
import {
  connectRedis,
  deleteKeys,
  describeWithRedis,
  keysUnder,
  TEST_REDIS_URL,
  uniqueKeyPrefix,
} from './support/redis';

jest.setTimeout(30_000);

const COOKIE = 'wxo.sid';
const HOME_SIGNED_IN = 'Webex Integration example: Authenticated';
const SPACES_LIST = 'Webex Integration example: Spaces List';
const IDLE_TIMEOUT_S = 600;
const ABSOLUTE_TIMEOUT_S = 3600;
const LOGIN_STATE_TTL_S = 120;

/** One deployment's configuration: every instance gets exactly this. */
function deploymentEnv(prefix: string): EnvOverrides {
  return {
    SESSION_STORE: 'redis',
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    SESSION_SECRET: `scale-out-${randomBytes(24).toString('base64url')}`,
    TOKEN_ENCRYPTION_KEYS: randomBytes(32).toString('base64'),
    SESSION_IDLE_TIMEOUT: String(IDLE_TIMEOUT_S),
    SESSION_ABSOLUTE_TIMEOUT: String(ABSOLUTE_TIMEOUT_S),
    LOGIN_STATE_TTL: String(LOGIN_STATE_TTL_S),
  };
}

/** Polls `condition` until it holds; fails after `ms` saying what it was waiting for. */
async function until(what: string, condition: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${what}`);
    await sleep(10);
  }
}

/** Each key under the prefix with what it holds, read as text whatever its type. */
async function dumpKeys(redis: Redis, prefix: string): Promise<string[]> {
  const entries: string[] = [];
  for (const key of await keysUnder(redis, prefix)) {
    const type = await redis.type(key);
    let value: unknown;
    if (type === 'string') value = await redis.get(key);
    else if (type === 'hash') value = await redis.hgetall(key);
    else if (type === 'list') value = await redis.lrange(key, 0, -1);
    else if (type === 'set') value = await redis.smembers(key);
    else if (type === 'zset') value = await redis.zrange(key, 0, -1);
    else value = `(a ${type})`;
    entries.push(`${key}\n${typeof value === 'string' ? value : JSON.stringify(value)}`);
  }
  return entries;
}

/**
 * What a stored text reveals without any key: itself, and whatever its base64, base64url or hex
 * runs decode to (an encoding is not encryption).
 */
function readableForms(stored: string): string[] {
  const decoded = [...stored.matchAll(/[A-Za-z0-9+/_-]{16,}={0,2}/g)].map(([run]) =>
    Buffer.from(run, 'base64').toString('latin1'),
  );
  const fromHex = [...stored.matchAll(/(?:[0-9a-fA-F]{2}){16,}/g)].map(([run]) =>
    Buffer.from(run, 'hex').toString('latin1'),
  );
  return [stored, ...decoded, ...fromHex];
}

describeWithRedis('Several instances sharing one Redis', () => {
  const prefix = uniqueKeyPrefix('scale-out');
  const env = deploymentEnv(prefix);
  let emulator: WebexEmulator;
  let redis: Redis;
  let a: BootedApp;
  let b: BootedApp;
  const everyApp: BootedApp[] = [];
  /** Printed once every app is closed: while one runs, bootApp's log capture swallows the console. */
  const figures: string[] = [];

  /** One more instance of the same deployment (bootApp sets the environment, so one at a time). */
  async function boot(): Promise<BootedApp> {
    const app = await bootApp(emulator, env);
    everyApp.push(app);
    return app;
  }

  const stats = () => emulator.controls.stats();
  const refreshGrants = () => stats().tokenGrants.refresh_token;
  const codeGrants = () => stats().tokenGrants.authorization_code;
  const grants = (on: BootedApp) => on.app.get(GrantStore);
  const aliceRooms = () => emulator.users.find((u) => u.handle === 'alice')!.roomCount;

  const sessionKey = (browser: Browser) => `${prefix}sess:${sessionIdOf(browser.cookie(COOKIE) ?? '')}`;

  async function grantIdOf(browser: Browser): Promise<string> {
    const raw = await redis.get(sessionKey(browser));
    if (raw === null) throw new Error('no session in Redis for this browser');
    const grantId = (JSON.parse(raw) as { grantId?: unknown }).grantId;
    if (typeof grantId !== 'string') throw new Error('the session in Redis holds no grant id');
    return grantId;
  }

  async function storedGrant(on: BootedApp, grantId: string): Promise<Grant> {
    const grant = await grants(on).get(grantId);
    if (!grant) throw new Error('the grant is gone');
    return grant;
  }

  /** The home page's greeting and the spaces page, as this browser sees them on `on`. */
  async function whatTheBrowserSees(browser: Browser, on: Instance) {
    const home = await browser.get(on, '/');
    const rooms = await browser.get(on, '/listrooms');
    return {
      home: home.status,
      heading: h1Of(home.text),
      greeting: /So happy to meet, [^!]*!/.exec(textOf(home.text))?.[0],
      rooms: rooms.status,
      roomsHeading: h1Of(rooms.text),
      roomCount: roomTitlesOf(rooms.text).length,
    };
  }

  const signedInAsAlice = () => ({
    home: 200,
    heading: HOME_SIGNED_IN,
    greeting: `So happy to meet, ${displayNameOf(emulator, 'alice')}!`,
    rooms: 200,
    roomsHeading: SPACES_LIST,
    roomCount: aliceRooms(),
  });

  beforeAll(async () => {
    redis = connectRedis();
    emulator = await startTestEmulator();
    a = await boot();
    b = await boot();
  });

  afterEach(() => {
    // Also puts token lifetimes and rotation back to the emulator's options.
    emulator.controls.reset();
  });

  afterAll(async () => {
    await Promise.allSettled(everyApp.map((app) => app.close()));
    await emulator?.close();
    if (redis) {
      await deleteKeys(redis, prefix);
      await redis.quit();
    }
    if (figures.length > 0) console.log(figures.join('\n'));
  });

  describe('signing in', () => {
    it('finishes on instance B a sign-in started on instance A, and the session then works on both', async () => {
      const browser = new Browser();
      const callback = await browser.consentedCallback(a, 'alice');

      const finished = await browser.get(b, callback);

      expect(finished.status).toBe(303);
      expect(finished.headers.location).toBe('/');
      expect(await whatTheBrowserSees(browser, a)).toEqual(signedInAsAlice());
      expect(await whatTheBrowserSees(browser, b)).toEqual(signedInAsAlice());
    });

    it('keeps a pending sign-in under login: for at most LOGIN_STATE_TTL and deletes it when the callback uses it', async () => {
      const browser = new Browser();
      const authorizeUrl = await browser.startLogin(a);
      const loginKey = `${prefix}login:${authorizeUrl.searchParams.get('state')}`;

      const ttl = await redis.pttl(loginKey);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(LOGIN_STATE_TTL_S * 1000);

      const callbackUrl = await consent(authorizeUrl, 'alice');
      expect((await browser.get(b, callbackUrl.pathname + callbackUrl.search)).status).toBe(303);
      expect(await redis.exists(loginKey)).toBe(0);
    });

    it('lets exactly one of two simultaneous callbacks with the same state through, across instances', async () => {
      const browser = new Browser();
      const callback = await browser.consentedCallback(a, 'alice');
      const before = codeGrants();

      const answers = await Promise.all([browser.get(a, callback), browser.get(b, callback)]);

      expect(answers.map((r) => r.status).sort()).toEqual([303, 400]);
      // The state is taken before the code goes to Webex, so the code is redeemed once.
      expect(codeGrants() - before).toBe(1);
      expect(await whatTheBrowserSees(browser, b)).toEqual(signedInAsAlice());
    });
  });

  describe('what Redis holds', () => {
    it('gives the session the idle timeout and the grant the absolute timeout as their lifetimes', async () => {
      const browser = new Browser();
      await browser.signIn(a, b, 'alice');
      const grantId = await grantIdOf(browser);

      const sessionTtl = await redis.pttl(sessionKey(browser));
      const grantTtl = await redis.pttl(`${prefix}grant:${grantId}`);

      expect(sessionTtl).toBeGreaterThan(0);
      expect(sessionTtl).toBeLessThanOrEqual(IDLE_TIMEOUT_S * 1000);
      expect(grantTtl).toBeGreaterThan(0);
      expect(grantTtl).toBeLessThanOrEqual(ABSOLUTE_TIMEOUT_S * 1000);
    });

    it('never holds an access or refresh token in plaintext, before or after a refresh', async () => {
      emulator.controls.setRotateRefreshTokens(true);
      emulator.controls.setTokenLifetimes({ accessTokenSeconds: 30 });
      const browser = new Browser();
      await browser.signIn(a, b, 'alice');
      const grantId = await grantIdOf(browser);
      const first = await storedGrant(a, grantId);
      emulator.controls.setTokenLifetimes({ accessTokenSeconds: 3600 });
      const before = refreshGrants();
      expect((await browser.get(b, '/listrooms')).status).toBe(200);
      expect(refreshGrants() - before).toBe(1);
      const second = await storedGrant(b, grantId);
      const tokens = {
        'access token from sign-in': first.accessToken,
        'refresh token from sign-in': first.refreshToken,
        'refreshed access token': second.accessToken,
        'rotated refresh token': second.refreshToken,
      };
      expect(new Set(Object.values(tokens)).size).toBe(4);

      const dump = await dumpKeys(redis, prefix);

      expect(dump.some((entry) => entry.startsWith(sessionKey(browser)))).toBe(true);
      expect(dump.some((entry) => entry.startsWith(`${prefix}grant:${grantId}`))).toBe(true);
      const readable = dump.flatMap(readableForms);
      const leaked = Object.entries(tokens)
        .filter(([, token]) => readable.some((text) => text.includes(token)))
        .map(([name]) => name);
      expect(leaked).toEqual([]);
    });
  });

  describe('restarts', () => {
    it('keeps a person signed in when their instance restarts with the same configuration', async () => {
      const browser = new Browser();
      await browser.signIn(a, a, 'alice');

      await a.close();
      a = await boot();

      expect(await whatTheBrowserSees(browser, a)).toEqual(signedInAsAlice());
    });

    it('keeps a person signed in through a rolling restart of both instances, using the site all along', async () => {
      const browser = new Browser();
      await browser.signIn(a, b, 'alice');

      const [, whileAStops] = await Promise.all([a.close(), whatTheBrowserSees(browser, b)]);
      const [restartedA, whileAStarts] = await Promise.all([boot(), whatTheBrowserSees(browser, b)]);
      a = restartedA;
      const afterA = await whatTheBrowserSees(browser, a);
      const [, whileBStops] = await Promise.all([b.close(), whatTheBrowserSees(browser, a)]);
      const [restartedB, whileBStarts] = await Promise.all([boot(), whatTheBrowserSees(browser, a)]);
      b = restartedB;
      const afterB = await whatTheBrowserSees(browser, b);

      expect({ whileAStops, whileAStarts, afterA, whileBStops, whileBStarts, afterB }).toEqual({
        whileAStops: signedInAsAlice(),
        whileAStarts: signedInAsAlice(),
        afterA: signedInAsAlice(),
        whileBStops: signedInAsAlice(),
        whileBStarts: signedInAsAlice(),
        afterB: signedInAsAlice(),
      });
    });
  });

  describe('refreshing tokens that Webex rotates', () => {
    beforeEach(() => {
      emulator.controls.setRotateRefreshTokens(true);
      // Signed in with a token that expires within the refresh margin: the next page refreshes it.
      emulator.controls.setTokenLifetimes({ accessTokenSeconds: 30 });
    });

    it('refreshes once for 20 simultaneous pages split over two instances, and every page works', async () => {
      const browser = new Browser();
      await browser.signIn(a, b, 'alice');
      const grantId = await grantIdOf(browser);
      // The refreshed token lives long enough that nothing needs another refresh.
      emulator.controls.setTokenLifetimes({ accessTokenSeconds: 3600 });
      // Webex takes a moment to refresh, so the pages all wait on it together.
      emulator.controls.setLatency(100, 'token');
      const before = refreshGrants();

      const pages = await Promise.all(
        Array.from({ length: 20 }, (_, i) => browser.get(i % 2 === 0 ? a : b, '/listrooms')),
      );

      expect(pages.map((page) => page.status)).toEqual(Array(20).fill(200));
      expect(pages.map((page) => roomTitlesOf(page.text).length)).toEqual(Array(20).fill(aliceRooms()));
      expect(refreshGrants() - before).toBe(1);
      expect((await storedGrant(a, grantId)).version).toBe(2);

      emulator.controls.setLatency(0);
      const again = await Promise.all([browser.get(a, '/listrooms'), browser.get(b, '/listrooms')]);
      expect(again.map((page) => page.status)).toEqual([200, 200]);
      expect(refreshGrants() - before).toBe(1);
    });

    it('does not let a slow page that refreshed before another instance did put back the retired refresh token', async () => {
      const browser = new Browser();
      await browser.signIn(a, a, 'alice');
      const grantId = await grantIdOf(browser);
      // Only the next spaces call is slow: the page on A, not the one on B.
      emulator.controls.injectFault({ route: 'rooms', kind: 'slow', delayMs: 1500 });
      const before = stats();

      // A refreshes (the token was about to expire), then waits on a slow Webex.
      let slowFinished = false;
      const slow = browser.get(a, '/listrooms').finally(() => (slowFinished = true));
      await until('A refreshed and asked Webex for the spaces', () => stats().requests.rooms > before.requests.rooms);
      const seenBySlowPage = await storedGrant(a, grantId);
      // Meanwhile a page on B refreshes again (A's new token also expires within the margin) and finishes.
      const otherPage = await browser.get(b, '/listrooms');
      const refreshedByB = await storedGrant(b, grantId);
      expect(slowFinished).toBe(false);

      const slowPage = await slow;

      expect([slowPage.status, otherPage.status]).toEqual([200, 200]);
      expect(refreshGrants() - before.tokenGrants.refresh_token).toBe(2);
      expect([seenBySlowPage.version, refreshedByB.version]).toEqual([2, 3]);
      expect(refreshedByB.refreshToken).not.toBe(seenBySlowPage.refreshToken);
      // The slow page finished last and wrote nothing back.
      expect(await storedGrant(a, grantId)).toEqual(refreshedByB);

      // The next refresh must use B's refresh token: with rotation, the one A saw is refused.
      emulator.controls.setTokenLifetimes({ accessTokenSeconds: 3600 });
      expect(emulator.controls.expireAccessTokens({ handle: 'alice' })).toBeGreaterThan(0);
      const next = await browser.get(a, '/listrooms');
      expect(next.status).toBe(200);
      expect(refreshGrants() - before.tokenGrants.refresh_token).toBe(3);
      expect(await whatTheBrowserSees(browser, b)).toEqual(signedInAsAlice());
      expect(refreshGrants() - before.tokenGrants.refresh_token).toBe(3);
    });
  });

  describe('memory', () => {
    const N = 200;
    const measurePrefix = uniqueKeyPrefix('bytes');
    let autoEmulator: WebexEmulator;
    let app: BootedApp;

    beforeAll(async () => {
      // An emulator that consents by itself: a sign-in is three requests, no consent page.
      autoEmulator = await startTestEmulator({ autoConsentUser: 'alice' });
      app = await bootApp(autoEmulator, deploymentEnv(measurePrefix));
    });

    afterAll(async () => {
      await app?.close();
      await autoEmulator?.close();
      if (redis) await deleteKeys(redis, measurePrefix);
    });

    it(`takes a few hundred bytes of Redis per signed-in session (${N} sign-ins)`, async () => {
      const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1]);
      const usedBefore = await usedMemory();

      const browsers = Array.from({ length: N }, () => new Browser());
      for (let i = 0; i < N; i += 10) {
        await Promise.all(browsers.slice(i, i + 10).map((browser) => browser.signIn(app, app)));
      }

      const usedAfter = await usedMemory();
      const keys = await keysUnder(redis, measurePrefix);
      const sessionKeys = keys.filter((key) => key.startsWith(`${measurePrefix}sess:`));
      const grantKeys = keys.filter((key) => key.startsWith(`${measurePrefix}grant:`));
      // Nothing else is left behind: pending sign-ins were consumed, pre-sign-in sessions replaced.
      expect({ sessions: sessionKeys.length, grants: grantKeys.length, all: keys.length }).toEqual({
        sessions: N,
        grants: N,
        all: 2 * N,
      });
      const usage = async (list: string[]) => {
        const sizes = await Promise.all(list.map(async (key) => Number(await redis.call('MEMORY', 'USAGE', key))));
        return sizes.reduce((sum, size) => sum + size, 0) / list.length;
      };
      const length = async (list: string[]) => {
        const sizes = await Promise.all(list.map((key) => redis.strlen(key)));
        return sizes.reduce((sum, size) => sum + size, 0) / list.length;
      };
      const [session, grant, sessionValue, grantValue] = await Promise.all([
        usage(sessionKeys),
        usage(grantKeys),
        length(sessionKeys),
        length(grantKeys),
      ]);
      const perSession = Math.round(session + grant);
      const usedPerSession = Math.round((usedAfter - usedBefore) / N);

      figures.push(
        `bytes per session in Redis: ${perSession} (MEMORY USAGE, average of ${N}: sess: key ${Math.round(session)} ` +
          `[value ${Math.round(sessionValue)} B] + grant: key ${Math.round(grant)} [value ${Math.round(grantValue)} B]); ` +
          `INFO used_memory grew ${usedAfter - usedBefore} B = ${usedPerSession} B per session ` +
          `(shared Redis: other clients add noise to this one)`,
      );
      expect(perSession).toBeGreaterThan(0);
      expect(perSession).toBeLessThan(4096);
    });
  });
});
