import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WebexEmulator } from '../src/sandbox';
import { bootApp, type BootedApp, type EnvOverrides } from './support/app';
import { Browser } from './support/browser';
import { startTestEmulator } from './support/emulator';
import { h1Of } from './support/html';
import { describeWithRedisServer } from './support/redis';
import { clientOn, RedisProcesses } from './support/redis-processes';
import { until } from './support/until';

jest.setTimeout(60_000);

const HOME_SIGNED_IN = 'Webex Integration example: Authenticated';
const MASTER = 'wxo-primary';
const CLIENTS = 50;

function deploymentEnv(extra: EnvOverrides): EnvOverrides {
  return {
    SESSION_STORE: 'redis',
    SESSION_SECRET: `redis-ha-${randomBytes(24).toString('base64url')}`,
    TOKEN_ENCRYPTION_KEYS: randomBytes(32).toString('base64'),
    ...extra,
  };
}

describeWithRedisServer('Redis Sentinel: the service follows a failover by itself', () => {
  const redis = new RedisProcesses();
  let emulator: WebexEmulator;
  const apps: BootedApp[] = [];
  let primary: number;
  let replica: number;
  const sentinels: number[] = [];
  /** Printed once the apps are closed: while they run, bootApp's log capture swallows the console. */
  const figures: string[] = [];

  beforeAll(async () => {
    primary = await redis.start();
    replica = await redis.start([`replicaof 127.0.0.1 ${primary}`]);
    for (let i = 0; i < 3; i++) {
      sentinels.push(
        await redis.start(
          [
            `sentinel monitor ${MASTER} 127.0.0.1 ${primary} 2`,
            `sentinel down-after-milliseconds ${MASTER} 1000`,
            `sentinel failover-timeout ${MASTER} 10000`,
            `sentinel parallel-syncs ${MASTER} 1`,
          ],
          true,
        ),
      );
    }
    const replicaClient = clientOn(replica);
    await until('the replica to sync', async () =>
      /master_link_status:up/.test(await replicaClient.info('replication')),
    );
    replicaClient.disconnect();
    const sentinelClient = clientOn(sentinels[0]);
    await until('the sentinels to see the replica and each other', async () => {
      const replicas = (await sentinelClient.call('SENTINEL', 'REPLICAS', MASTER)) as unknown[];
      const others = (await sentinelClient.call('SENTINEL', 'SENTINELS', MASTER)) as unknown[];
      return replicas.length === 1 && others.length === 2;
    });
    sentinelClient.disconnect();

    emulator = await startTestEmulator({ autoConsentUser: 'alice' });
    const env = deploymentEnv({
      REDIS_SENTINELS: sentinels.map((port) => `127.0.0.1:${port}`).join(','),
      REDIS_SENTINEL_MASTER: MASTER,
    });
    apps.push(await bootApp(emulator, env));
    apps.push(await bootApp(emulator, env));
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    await emulator?.close();
    await redis.stopAll();
    if (figures.length > 0) console.log(figures.join('\n'));
  });

  it(`keeps ${CLIENTS} clients on two instances signed in while the primary dies and a replica takes over`, async () => {
    const browsers = Array.from({ length: CLIENTS }, () => new Browser());
    for (let i = 0; i < CLIENTS; i += 10) {
      await Promise.all(browsers.slice(i, i + 10).map((b, j) => b.signIn(apps[j % 2], apps[(j + 1) % 2])));
    }
    // Only sessions the replica has must survive: wait until it has them all.
    const primaryClient = clientOn(primary);
    expect(await primaryClient.call('WAIT', '1', '2000')).toBe(1);
    primaryClient.disconnect();

    type Outcome = { at: number; ok: boolean; what: string };
    const outcomes: Outcome[] = [];
    let killedAt = 0;
    let stop = false;
    const load = async (browser: Browser, index: number) => {
      for (let n = 0; !stop; n++) {
        const app = apps[(index + n) % 2];
        let what: string;
        try {
          const response = await browser.get(app, '/', { timeoutMs: 5000 });
          const signedIn = response.status === 200 && h1Of(response.text) === HOME_SIGNED_IN;
          what = signedIn ? 'ok' : response.status === 200 ? 'signed out' : String(response.status);
        } catch (error) {
          what = `no answer (${(error as Error).message})`;
        }
        outcomes.push({ at: Date.now(), ok: what === 'ok', what });
        await sleep(20);
      }
    };
    const running = browsers.map((b, i) => load(b, i));
    await sleep(500);
    killedAt = Date.now();
    await redis.kill(primary);
    // Done when every client has had a success again well after the first error.
    await until(
      'every client to load a page again after the failover',
      () => {
        const firstError = outcomes.find((o) => !o.ok && o.at >= killedAt);
        const okAfter = firstError && outcomes.filter((o) => o.ok && o.at > firstError.at + 200);
        return !!okAfter && okAfter.length >= CLIENTS * 3;
      },
      30_000,
    ).finally(() => (stop = true));
    await Promise.all(running);

    const afterKill = outcomes.filter((o) => o.at >= killedAt);
    const errors = afterKill.filter((o) => !o.ok);
    const firstError = errors[0];
    const lastError = errors.at(-1)!;
    // Some pages still succeed early in the outage (answered before the primary was missed): the
    // window ends at the first success after the last error, when service is back for everyone.
    const firstSuccess = afterKill.find((o) => o.ok && o.at > lastError.at);
    const seen = new Map<string, number>();
    for (const e of errors) seen.set(e.what, (seen.get(e.what) ?? 0) + 1);
    figures.push(
      `Sentinel failover: window ${(firstSuccess!.at - firstError.at) / 1000} s (first error to the first success after the last error); primary killed ` +
        `${(firstError.at - killedAt) / 1000} s before the first error; errors: ${JSON.stringify(Object.fromEntries(seen))}; ` +
        `${outcomes.length} page loads in all`,
    );

    expect(errors.every((e) => e.what === '503')).toBe(true);
    expect(errors.some((e) => e.what === 'signed out')).toBe(false);
    // Every session the replica had is still there, on both instances.
    for (const browser of browsers) {
      for (const app of apps) expect(h1Of((await browser.get(app, '/')).text)).toBe(HOME_SIGNED_IN);
    }
  });
});

describeWithRedisServer('Redis Sentinel with the password and database given in REDIS_URL', () => {
  const redis = new RedisProcesses();
  const password = `pw/${randomBytes(12).toString('base64url')}`;
  let emulator: WebexEmulator;
  let app: BootedApp;
  let primary: number;

  beforeAll(async () => {
    primary = await redis.start([`requirepass ${password}`], false, password);
    const sentinel = await redis.start(
      [`sentinel monitor ${MASTER} 127.0.0.1 ${primary} 1`, `sentinel auth-pass ${MASTER} ${password}`],
      true,
    );
    emulator = await startTestEmulator({ autoConsentUser: 'alice' });
    app = await bootApp(
      emulator,
      deploymentEnv({
        REDIS_SENTINELS: `127.0.0.1:${sentinel}`,
        REDIS_SENTINEL_MASTER: MASTER,
        // Only the credentials and the database count with sentinels: nothing listens on port 1.
        REDIS_URL: `redis://:${encodeURIComponent(password)}@127.0.0.1:1/5`,
      }),
    );
  });

  afterAll(async () => {
    await app?.close();
    await emulator?.close();
    await redis.stopAll();
  });

  it('signs in, with the session kept in database 5 of the password-protected primary', async () => {
    const browser = new Browser();
    await browser.signIn(app, app);
    const home = await browser.get(app, '/');
    expect(home.status).toBe(200);
    expect(h1Of(home.text)).toBe(HOME_SIGNED_IN);

    const client = new Redis(primary, '127.0.0.1', { password, db: 5, maxRetriesPerRequest: 1 });
    try {
      expect((await client.keys('wxo:sess:*')).length).toBe(1);
      await client.select(0);
      expect(await client.keys('wxo:*')).toEqual([]);
    } finally {
      client.disconnect();
    }
  });
});
