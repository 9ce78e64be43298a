import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigValidationError, loadConfiguration as load } from './index';

// Development mode keeps state in a folder: point it at a temporary one for every spec.
const devDir = mkdtempSync(join(tmpdir(), 'wxo-config-'));
afterAll(() => rmSync(devDir, { recursive: true, force: true }));
const loadConfiguration = (env: Record<string, string> = {}) => load({ DEV_STATE_DIR: devDir, ...env });

const portalUrl = (params: Record<string, string>) =>
  `https://webexapis.com/v1/authorize?${new URLSearchParams({ response_type: 'code', ...params }).toString()}`;

const realEnv = {
  AUTH_INIT_URL: portalUrl({
    client_id: 'C0ffee',
    redirect_uri: 'http://localhost:8080/oauth',
    scope: 'spark:people_read spark:rooms_read',
    state: 'set_state_here',
  }),
  CLIENT_SECRET: 'portal-secret-value',
};

/** An integration whose redirect URI (the callback) has this path. */
const withCallbackPath = (path: string) => ({
  AUTH_INIT_URL: portalUrl({
    client_id: 'c',
    redirect_uri: `http://localhost:8080${path}`,
    scope: 'spark:people_read',
  }),
  CLIENT_SECRET: 's',
});

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfiguration(env);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems;
    throw error;
  }
  throw new Error('expected the configuration to be rejected');
}

describe(load.name, () => {
  it('starts in sandbox mode with no AUTH_INIT_URL outside production', () => {
    const config = loadConfiguration({});
    expect(config.app.mode).toBe('sandbox');
    expect(config.sandbox).toMatchObject({ enabled: true, port: 8081 });
    expect(config.app.port).toBe(8080);
    expect(config.oauth.redirectUri).toBe('http://localhost:8080/oauth');
    expect(config.oauth.authorizeEndpoint).toBe('http://localhost:8081/v1/authorize');
    expect(config.webex.apiBaseUrl).toBe('http://127.0.0.1:8081/v1');
    expect(config.session.generatedSecret).toBe(false);
    expect(config.app.devStateDir).toBe(devDir);
  });

  it('generates the development session secret once and keeps it for the next start', () => {
    const first = loadConfiguration({}).session.secrets[0];
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(loadConfiguration({}).session.secrets[0]).toBe(first);
    expect(readFileSync(join(devDir, 'session-secret'), 'utf8').trim()).toBe(first);
  });

  it('keeps no development state outside development, and makes a fresh secret per start there', () => {
    const config = loadConfiguration({ NODE_ENV: 'test' });
    expect(config.app.devStateDir).toBeUndefined();
    expect(config.session.generatedSecret).toBe(true);
    expect(loadConfiguration({ NODE_ENV: 'test' }).session.secrets[0]).not.toBe(config.session.secrets[0]);
  });

  it('reads client id, redirect URI and scopes from the portal URL and derives the API base URL', () => {
    const config = loadConfiguration(realEnv);
    expect(config.app.mode).toBe('webex');
    expect(config.sandbox.enabled).toBe(false);
    expect(config.oauth).toMatchObject({
      clientId: 'C0ffee',
      clientSecret: 'portal-secret-value',
      authorizeEndpoint: 'https://webexapis.com/v1/authorize',
      redirectUri: 'http://localhost:8080/oauth',
      callbackPath: '/oauth',
      publicOrigin: 'http://localhost:8080',
      grantedScopes: ['spark:people_read', 'spark:rooms_read'],
    });
    expect(config.webex.apiBaseUrl).toBe('https://webexapis.com/v1');
  });

  it('lets WEBEX_API_BASE_URL point the calls elsewhere', () => {
    expect(loadConfiguration({ ...realEnv, WEBEX_API_BASE_URL: 'http://127.0.0.1:9999/v1/' }).webex.apiBaseUrl).toBe(
      'http://127.0.0.1:9999/v1',
    );
  });

  it('ignores the portal URL state and STATE, and says so', () => {
    const config = loadConfiguration({ ...realEnv, STATE: 'fixed' });
    expect(config.app.warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^STATE is ignored/),
        expect.stringMatching(/state parameter in AUTH_INIT_URL is ignored/),
      ]),
    );
  });

  it('keeps the scopes the integration grants, space- or plus-separated (what sign-in asks for is the features’ business)', () => {
    const config = loadConfiguration({
      ...realEnv,
      AUTH_INIT_URL: portalUrl({
        client_id: 'c',
        redirect_uri: 'http://localhost:8080/oauth',
        scope: 'spark:all spark:people_read+spark:kms',
      }),
    });
    expect(config.oauth.grantedScopes).toEqual(['spark:all', 'spark:people_read', 'spark:kms']);
    expect(loadConfiguration({ NODE_ENV: 'test' }).oauth.grantedScopes).toBeUndefined();
  });

  it('turns Login with Webex on when the portal URL’s scope has openid, and always in sandbox mode', () => {
    expect(loadConfiguration(realEnv).oauth.openId).toBe(false);
    const openId = loadConfiguration({
      ...realEnv,
      AUTH_INIT_URL: portalUrl({
        client_id: 'c',
        redirect_uri: 'http://localhost:8080/oauth',
        scope: 'openid email profile',
      }),
    });
    expect(openId.oauth.openId).toBe(true);
    expect(loadConfiguration({}).oauth.openId).toBe(true);
  });

  it('reads WEBEX_OIDC_ISSUERS as a list of https issuers, and refuses anything else by name', () => {
    expect(loadConfiguration(realEnv).oauth.extraIssuers).toEqual([]);
    const config = loadConfiguration({
      ...realEnv,
      WEBEX_OIDC_ISSUERS: 'https://idbroker-b-us.webex.com/idb, https://idbroker.webex.com/idb',
    });
    expect(config.oauth.extraIssuers).toEqual([
      'https://idbroker-b-us.webex.com/idb',
      'https://idbroker.webex.com/idb',
    ]);
    for (const bad of [
      'http://idbroker.webex.com/idb',
      'idbroker.webex.com',
      'https://a.example/idb?x=1',
      'https://a/,',
    ]) {
      const problems = problemsOf({ ...realEnv, WEBEX_OIDC_ISSUERS: bad });
      expect(problems).toEqual([
        expect.stringMatching(/^WEBEX_OIDC_ISSUERS must be a comma-separated list of https issuer URLs/),
      ]);
      expect(problems.join()).not.toContain(bad);
    }
  });

  it('reports every bad variable at once, by name, never by value', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      LOG_LEVEL: 'loud',
      SESSION_SECRET: 'too-short-secret',
      WEBEX_TIMEOUT_MS: '-5',
      WEBEX_PAGE_SIZE: '5000',
      AUTH_INIT_URL: 'not a url',
      CLIENT_SECRET: 'the-client-secret',
    });
    expect(problems).toHaveLength(6);
    for (const name of [
      'PORT',
      'LOG_LEVEL',
      'SESSION_SECRET',
      'WEBEX_TIMEOUT_MS',
      'WEBEX_PAGE_SIZE',
      'AUTH_INIT_URL',
    ]) {
      expect(problems.some((p) => p.startsWith(`${name} `))).toBe(true);
    }
    const text = problems.join('\n');
    for (const value of ['eighty', 'loud', 'too-short-secret', '5000', 'not a url', 'the-client-secret'])
      expect(text).not.toContain(value);
  });

  it.each([
    ['no client_id', { redirect_uri: 'http://localhost:8080/oauth', scope: 'spark:people_read' }, /no client_id/],
    ['no redirect_uri', { client_id: 'c', scope: 'spark:people_read' }, /no redirect_uri/],
    [
      'a non-http redirect_uri',
      { client_id: 'c', redirect_uri: 'javascript:alert(1)', scope: 'spark:people_read' },
      /redirect_uri must be an absolute/,
    ],
    ['no scope', { client_id: 'c', redirect_uri: 'http://localhost:8080/oauth' }, /no scope/],
  ])('rejects a portal URL with %s', (_case, params, expected) => {
    expect(problemsOf({ AUTH_INIT_URL: portalUrl(params), CLIENT_SECRET: 's' }).join('\n')).toMatch(expected);
  });

  it.each(['/oauth', '/auth/callback', '/login-callback', '/static-oauth'])(
    'accepts a callback path of its own: %s',
    (path) => {
      const config = loadConfiguration(withCallbackPath(path));
      expect(config.oauth.callbackPath).toBe(path);
    },
  );

  it('requires the client secret with a real integration', () => {
    expect(problemsOf({ AUTH_INIT_URL: realEnv.AUTH_INIT_URL })).toEqual([
      expect.stringMatching(/^CLIENT_SECRET is required/),
    ]);
  });

  it('never runs the sandbox silently in production', () => {
    const problems = problemsOf({ NODE_ENV: 'production' });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^AUTH_INIT_URL is required when NODE_ENV=production/),
        expect.stringMatching(/^SESSION_SECRET is required/),
      ]),
    );
  });

  it('accepts a complete production configuration', () => {
    const config = loadConfiguration({ ...realEnv, NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(32) });
    expect(config.app.isProduction).toBe(true);
    expect(config.session).toMatchObject({ secrets: ['x'.repeat(32)], generatedSecret: false });
  });

  it('treats empty variables, as copied from .env.example, as unset', () => {
    expect(loadConfiguration({ AUTH_INIT_URL: '', CLIENT_SECRET: '', PORT: '' }).app).toMatchObject({
      mode: 'sandbox',
      port: 8080,
    });
  });

  it('keeps the emulator off the service port', () => {
    expect(problemsOf({ PORT: '9000', SANDBOX_PORT: '9000' })).toEqual([
      expect.stringMatching(/^SANDBOX_PORT must differ from PORT/),
    ]);
  });

  it('serves metrics only when METRICS_PORT is set, and never on the service port', () => {
    expect(loadConfiguration({}).metrics.port).toBeUndefined();
    expect(loadConfiguration({ METRICS_PORT: '9464' }).metrics.port).toBe(9464);
    expect(problemsOf({ PORT: '9000', METRICS_PORT: '9000' })).toEqual([
      expect.stringMatching(/^METRICS_PORT must differ from PORT/),
    ]);
  });

  it('reads Redis Sentinel and Redis Cluster locations as host:port lists', () => {
    const sentinel = loadConfiguration({
      REDIS_SENTINELS: '10.0.0.5:26379, sentinel-b:26380',
      REDIS_SENTINEL_MASTER: 'mymaster',
    }).session;
    expect(sentinel.redisSentinels).toEqual([
      { host: '10.0.0.5', port: 26379 },
      { host: 'sentinel-b', port: 26380 },
    ]);
    expect(sentinel.redisSentinelMaster).toBe('mymaster');
    expect(loadConfiguration({ REDIS_CLUSTER_NODES: 'a:7000,b:7001' }).session.redisClusterNodes).toEqual([
      { host: 'a', port: 7000 },
      { host: 'b', port: 7001 },
    ]);
  });

  it.each([
    [{ REDIS_SENTINELS: 'a:1' }, /^REDIS_SENTINELS and REDIS_SENTINEL_MASTER go together/],
    [{ REDIS_SENTINELS: 'a', REDIS_SENTINEL_MASTER: 'm' }, /^REDIS_SENTINELS must be a comma-separated list/],
    [{ REDIS_CLUSTER_NODES: 'a:1,b' }, /^REDIS_CLUSTER_NODES must be a comma-separated list/],
    [
      { REDIS_SENTINELS: 'a:1', REDIS_SENTINEL_MASTER: 'm', REDIS_CLUSTER_NODES: 'b:2' },
      /^REDIS_SENTINELS and REDIS_CLUSTER_NODES exclude each other/,
    ],
    [{ REDIS_CLUSTER_NODES: 'a:1', REDIS_URL: 'redis://:pw@cluster/3' }, /database other than 0.*Redis Cluster/],
  ])('rejects a Redis location that cannot work: %p', (env, problem) => {
    expect(problemsOf(env)).toContainEqual(expect.stringMatching(problem));
  });

  it.each(['redis://:pw@cluster', 'redis://:pw@cluster/', 'redis://user:pw@cluster/0', 'rediss://:pw@cluster?x=1'])(
    'takes a cluster’s credentials from REDIS_URL=%p without a database',
    (url) => {
      expect(loadConfiguration({ REDIS_CLUSTER_NODES: 'a:1', REDIS_URL: url }).session.redisUrl).toBe(url);
    },
  );

  it.each([
    ['oauth', true],
    ['oauth*', true],
    ['express,oauth:callback', true],
    ['*', true],
    ['oauthx', false],
    ['', false],
  ])('turns on OAuth debug lines for DEBUG=%p: %p', (debug, expected) => {
    expect(loadConfiguration({ DEBUG: debug }).app.debugOAuth).toBe(expected);
  });
});
