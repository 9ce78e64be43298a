import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import request from 'supertest';
import type { WebexEmulator } from '../src/sandbox';
import { bootApp, type BootedApp } from './support/app';
import { Browser } from './support/browser';
import { startTestEmulator } from './support/emulator';
import { h1Of } from './support/html';
import { describeWithRedisServer } from './support/redis';
import { clientOn, RedisProcesses } from './support/redis-processes';
import { until } from './support/until';

jest.setTimeout(60_000);

const HOME_SIGNED_IN = 'Webex Integration example: Authenticated';
const HOME_SIGNED_OUT = 'Webex Integration example: Home';

describeWithRedisServer('Redis Cluster: sessions across instances on a three-primary cluster', () => {
  const redis = new RedisProcesses();
  let emulator: WebexEmulator;
  const apps: BootedApp[] = [];
  const nodes: number[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) {
      const config = [
        'cluster-enabled yes',
        `cluster-config-file nodes-${i}-${process.pid}.conf`,
        'cluster-node-timeout 2000',
      ];
      nodes.push(await redis.start(config));
    }
    await promisify(execFile)('redis-cli', [
      '--cluster',
      'create',
      ...nodes.map((port) => `127.0.0.1:${port}`),
      '--cluster-yes',
    ]);
    const clients = nodes.map(clientOn);
    await until('every node to see the cluster as ok', async () =>
      (await Promise.all(clients.map((c) => c.cluster('INFO')))).every((info) => /cluster_state:ok/.test(info)),
    );
    for (const client of clients) client.disconnect();

    emulator = await startTestEmulator({ autoConsentUser: 'alice' });
    const env = {
      SESSION_STORE: 'redis',
      REDIS_CLUSTER_NODES: nodes.map((port) => `127.0.0.1:${port}`).join(','),
      SESSION_SECRET: `redis-cluster-${randomBytes(24).toString('base64url')}`,
      LOGIN_RATE_LIMIT: '1000',
    };
    apps.push(await bootApp(emulator, env));
    apps.push(await bootApp(emulator, env));
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    await emulator?.close();
    await redis.stopAll();
  });

  it('signs in on one instance and serves the session on the other', async () => {
    const browser = new Browser();
    await browser.signIn(apps[0], apps[1]);
    for (const app of apps) expect(h1Of((await browser.get(app, '/')).text)).toBe(HOME_SIGNED_IN);
  });

  it('spreads the keys over all three primaries', async () => {
    const browsers = Array.from({ length: 12 }, () => new Browser());
    await Promise.all(browsers.map((b, i) => b.signIn(apps[i % 2], apps[(i + 1) % 2])));
    const clients = nodes.map(clientOn);
    const sizes = await Promise.all(clients.map((c) => c.dbsize()));
    for (const client of clients) client.disconnect();
    expect(sizes.every((size) => size > 0)).toBe(true);
  });

  it('refreshes once for twenty parallel pages on both instances (single-flight)', async () => {
    const browser = new Browser();
    await browser.signIn(apps[0], apps[0]);
    emulator.controls.expireAccessTokens({ handle: 'alice' });
    const before = emulator.controls.stats().tokenGrants.refresh_token;
    const pages = await Promise.all(Array.from({ length: 20 }, (_, i) => browser.get(apps[i % 2], '/listrooms')));
    expect(pages.map((p) => p.status)).toEqual(Array(20).fill(200));
    expect(emulator.controls.stats().tokenGrants.refresh_token - before).toBe(1);
  });

  it('signs out on one instance for every instance', async () => {
    const browser = new Browser();
    await browser.signIn(apps[1], apps[0]);
    const logout = await request(apps[1].server)
      .post('/logout')
      .set('Cookie', browser.cookieHeader ?? '');
    expect(logout.status).toBe(303);
    expect(h1Of((await browser.get(apps[0], '/')).text)).toBe(HOME_SIGNED_OUT);
  });
});
