import { randomBytes } from 'node:crypto';
import request from 'supertest';
import type { WebexEmulator } from '../src/sandbox';
import { bootApp, type BootedApp, type EnvOverrides } from './support/app';
import { startTestEmulator } from './support/emulator';
import { connectRedis, describeWithRedisServer, PrivateRedisServer, uniqueKeyPrefix } from './support/redis';

jest.setTimeout(30_000);

const LIMIT = 5;

describeWithRedisServer('One sign-in rate limit across instances (SESSION_STORE=redis)', () => {
  let redis: PrivateRedisServer;
  let emulator: WebexEmulator;
  const apps: BootedApp[] = [];

  beforeAll(async () => {
    // A server of this suite's own: the last test stops it.
    redis = await PrivateRedisServer.start();
    emulator = await startTestEmulator();
    const env: EnvOverrides = {
      SESSION_STORE: 'redis',
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: uniqueKeyPrefix('rate-limit'),
      SESSION_SECRET: `rate-limit-${randomBytes(24).toString('base64url')}`,
      LOGIN_RATE_LIMIT: String(LIMIT),
    };
    // bootApp sets the environment, so one at a time.
    apps.push(await bootApp(emulator, env));
    apps.push(await bootApp(emulator, env));
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    await emulator?.close();
    await redis?.stop();
  });

  it('refuses the 6th sign-in within a minute from one client, whichever instance each went to', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 1; i++) {
      statuses.push((await request(apps[i % 2].server).get('/login')).status);
    }
    expect(statuses).toEqual([302, 302, 302, 302, 302, 429]);
    // Neither instance alone saw more than three: only shared counters can refuse the sixth.
    expect((await request(apps[0].server).get('/login')).status).toBe(429);
  });

  it('keeps the counters in Redis under the deployment prefix, hash-tagged', async () => {
    const client = connectRedis(redis.url);
    const keys = await client.keys('*throttle*').finally(() => client.disconnect());
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(key).toMatch(/^\{e2e-rate-limit-[^}]*throttle:[^}]+\}:(hits|blocked)$/);
  });

  it('fails closed when Redis is down: a sign-in answers 503 with Retry-After, never unlimited', async () => {
    await redis.stop();
    const response = await request(apps[1].server).get('/login').timeout(5000);
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    // A signed-out home page needs neither the limit nor Redis.
    expect((await request(apps[1].server).get('/')).status).toBe(200);
  });
});
