import { hkdfSync, randomBytes } from 'node:crypto';
import { redisCredentialsOf } from './redis-url';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigValidationError, EnvironmentVariables, LogLevelName, validateEnvironment } from './env.validation';

/** Sandbox mode registers this integration with the emulator; nothing about it is secret. */
export const SANDBOX_CLIENT = { clientId: 'sandbox-client', clientSecret: 'sandbox-secret' } as const;

export interface Configuration {
  app: {
    nodeEnv: 'development' | 'production' | 'test';
    isProduction: boolean;
    host?: string;
    port: number;
    logLevel: LogLevelName;
    /** DEBUG=oauth (or oauth*) from the sample turns on the auth module's debug lines. */
    debugOAuth: boolean;
    mode: 'sandbox' | 'webex';
    logFormat: 'json' | 'pretty';
    /** Express "trust proxy": which X-Forwarded-* hops to believe (for req.secure and req.ip). */
    trustProxy: boolean | number | string[];
    shutdownGraceMs: number;
    /**
     * Development only: where the session secret, the sessions and the sandbox's own state are
     * kept across restarts (`nest start --watch`), so a developer stays signed in.
     */
    devStateDir?: string;
    /** Things worth saying at start-up that do not stop it. */
    warnings: string[];
  };
  oauth: {
    clientId: string;
    clientSecret: string;
    /** The authorize endpoint, without the portal URL's query. */
    authorizeEndpoint: string;
    redirectUri: string;
    callbackPath: string;
    /** Origin the browser must use so that the session cookie comes back with the callback. */
    publicOrigin: string;
    /**
     * The scopes the integration grants, as AUTH_INIT_URL lists them. Undefined in sandbox mode,
     * whose integration is registered with every scope a feature needs. Sign-in asks for the
     * scopes of the features these allow (FeaturesService).
     */
    grantedScopes?: string[];
    /**
     * Login with Webex (OpenID Connect): the scope of AUTH_INIT_URL has `openid` (always in sandbox
     * mode). Sign-in then verifies an id_token instead of asking /people/me who the token is for.
     */
    openId: boolean;
    /** Issuers accepted on an id_token besides the discovery document's (WEBEX_OIDC_ISSUERS). */
    extraIssuers: string[];
    loginStateTtlSeconds: number;
    /** Requests per minute per client to /login and the callback; 0 = off. */
    loginRateLimit: number;
  };
  webex: {
    apiBaseUrl: string;
    timeoutMs: number;
    connectTimeoutMs: number;
    /** Retries of an idempotent call after a network error or 502/503/504. */
    retries: number;
    /** A 429 whose Retry-After is at most this is waited out once; a longer one is passed on. */
    retryAfterMaxWaitMs: number;
    pageSize: number;
    listLimit: number;
  };
  session: {
    /** First secret signs new cookies; the others still verify old ones (rolling the secret). */
    secrets: string[];
    generatedSecret: boolean;
    /** AES-256-GCM keys for tokens at rest, newest first; older ones still decrypt. */
    tokenKeys: Buffer[];
    cookieName: string;
    /** Cookies only over HTTPS: true when the redirect URI is https. */
    secureCookie: boolean;
    store: 'memory' | 'redis';
    redisUrl: string;
    /** Sentinel mode: ask these sentinels where the primary named `redisSentinelMaster` is. */
    redisSentinels?: { host: string; port: number }[];
    redisSentinelMaster?: string;
    /** Cluster mode: any of the cluster's nodes; the client discovers the rest. */
    redisClusterNodes?: { host: string; port: number }[];
    keyPrefix: string;
    idleTimeoutSeconds: number;
    absoluteTimeoutSeconds: number;
    memoryMaxSessions: number;
  };
  metrics: {
    /** Prometheus metrics on their own port (never the public one); undefined turns them off. */
    port?: number;
    host: string;
  };
  sandbox: {
    enabled: boolean;
    port: number;
    host: string;
  };
}

const DEFAULT_PORT = 8080;
const DEFAULT_SANDBOX_PORT = 8081;

function parseAuthInitUrl(raw: string, problems: string[]) {
  const url = new URL(raw);
  const clientId = url.searchParams.get('client_id');
  const redirectUri = url.searchParams.get('redirect_uri');
  const scope = url.searchParams.get('scope');
  if (!clientId)
    problems.push('AUTH_INIT_URL has no client_id parameter: copy the whole URL from your integration’s page');
  let redirect: URL | undefined;
  if (!redirectUri) {
    problems.push('AUTH_INIT_URL has no redirect_uri parameter: copy the whole URL from your integration’s page');
  } else {
    try {
      redirect = new URL(redirectUri);
      if (redirect.protocol !== 'http:' && redirect.protocol !== 'https:') throw new Error('protocol');
      if (redirect.hash) problems.push('AUTH_INIT_URL’s redirect_uri must not contain a #fragment (RFC 6749 §3.1.2)');
    } catch {
      redirect = undefined;
      problems.push('AUTH_INIT_URL’s redirect_uri must be an absolute http(s) URL such as http://localhost:8080/oauth');
    }
  }
  if (scope === null || scope.trim() === '') {
    problems.push('AUTH_INIT_URL has no scope parameter: copy the whole URL from your integration’s page');
  }
  return {
    authorizeEndpoint: `${url.origin}${url.pathname}`,
    origin: url.origin,
    clientId: clientId ?? '',
    redirect,
    urlScopes: (scope ?? '').split(/[\s+]+/).filter(Boolean),
    hasState: url.searchParams.has('state'),
  };
}

/** Generated once per checkout and kept in the (git-ignored) development state folder. */
function devSessionSecret(dir: string): string {
  const file = join(dir, 'session-secret');
  try {
    const existing = readFileSync(file, 'utf8').trim();
    if (existing.length >= 32) return existing;
  } catch {
    // First start: make one below.
  }
  const secret = randomBytes(48).toString('base64url');
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

function parseTrustProxy(value: string | undefined): Configuration['app']['trustProxy'] {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  return value.split(',').map((part) => part.trim());
}

/**
 * Turns the environment into the service's typed configuration, or throws one
 * ConfigValidationError naming every problem. Pure apart from generating a development
 * session secret, so unit specs can feed it any environment.
 */
export function loadConfiguration(source: Record<string, string | undefined> = process.env): Configuration {
  let env: EnvironmentVariables;
  const problems: string[] = [];
  try {
    env = validateEnvironment(source);
  } catch (error) {
    if (!(error instanceof ConfigValidationError)) throw error;
    problems.push(...error.problems);
    // Carry on with what did validate, so the semantic checks below can add their problems too.
    env = validateEnvironment(
      Object.fromEntries(
        Object.entries(source).filter(([key]) => !error.problems.some((p) => p.startsWith(`${key} `))),
      ),
    );
  }

  const nodeEnv = (env.NODE_ENV ?? 'development') as Configuration['app']['nodeEnv'];
  const isProduction = nodeEnv === 'production';
  const warnings: string[] = [];
  const port = env.PORT ?? DEFAULT_PORT;
  const sandboxPort = env.SANDBOX_PORT ?? DEFAULT_SANDBOX_PORT;
  const authInitUrlGiven = source.AUTH_INIT_URL !== undefined && source.AUTH_INIT_URL !== '';
  const mode: Configuration['app']['mode'] = authInitUrlGiven ? 'webex' : 'sandbox';

  if (isProduction && !authInitUrlGiven) {
    problems.push(
      'AUTH_INIT_URL is required when NODE_ENV=production: copy the authorize URL from your integration’s page on developer.webex.com (the offline sandbox never runs in production)',
    );
  }
  if (isProduction && !env.SESSION_SECRET && !problems.some((p) => p.startsWith('SESSION_SECRET'))) {
    problems.push(
      'SESSION_SECRET is required when NODE_ENV=production: at least 32 random characters, e.g. from: openssl rand -base64 48',
    );
  }
  if (authInitUrlGiven && !env.CLIENT_SECRET) {
    problems.push('CLIENT_SECRET is required with AUTH_INIT_URL: copy the client secret of your Webex integration');
  }
  if (env.METRICS_PORT !== undefined && env.METRICS_PORT !== 0 && env.METRICS_PORT === port) {
    problems.push('METRICS_PORT must differ from PORT: metrics are never served on the public port');
  }
  if (env.REDIS_SENTINELS && env.REDIS_CLUSTER_NODES) {
    problems.push(
      'REDIS_SENTINELS and REDIS_CLUSTER_NODES exclude each other: a Redis is either watched by sentinels or a cluster',
    );
  }
  if (env.REDIS_CLUSTER_NODES && env.REDIS_URL && clusterDatabaseNamed(env.REDIS_URL)) {
    problems.push(
      'REDIS_URL names a database other than 0, which a Redis Cluster does not have: with REDIS_CLUSTER_NODES, REDIS_URL gives only the user and password, e.g. REDIS_URL=redis://:password@cluster',
    );
  }
  if (Boolean(env.REDIS_SENTINELS) !== Boolean(env.REDIS_SENTINEL_MASTER)) {
    problems.push(
      'REDIS_SENTINELS and REDIS_SENTINEL_MASTER go together: the sentinels, and the name of the primary they watch',
    );
  }
  if (mode === 'sandbox' && sandboxPort === port) {
    problems.push('SANDBOX_PORT must differ from PORT: the Webex emulator listens on its own port');
  }
  if (env.STATE !== undefined) {
    warnings.push('STATE is ignored: a fresh, single-use state is now generated for every sign-in.');
  }

  let clientId: string = SANDBOX_CLIENT.clientId;
  let clientSecret: string = SANDBOX_CLIENT.clientSecret;
  let authorizeEndpoint = `http://localhost:${sandboxPort}/v1/authorize`;
  let redirectUri = new URL(`http://localhost:${port}/oauth`);
  let grantedScopes: string[] | undefined;
  // The server talks to its own emulator over IPv4 loopback: "localhost" may resolve to ::1 first.
  let apiBaseUrl = `http://127.0.0.1:${sandboxPort}/v1`;

  if (authInitUrlGiven && env.AUTH_INIT_URL) {
    const parsed = parseAuthInitUrl(env.AUTH_INIT_URL, problems);
    clientId = parsed.clientId;
    clientSecret = env.CLIENT_SECRET ?? '';
    authorizeEndpoint = parsed.authorizeEndpoint;
    if (parsed.redirect) redirectUri = parsed.redirect;
    apiBaseUrl = `${parsed.origin}/v1`;
    if (parsed.hasState) warnings.push('The state parameter in AUTH_INIT_URL is ignored: every sign-in gets its own.');
    grantedScopes = parsed.urlScopes;
  }
  if (env.WEBEX_API_BASE_URL) apiBaseUrl = env.WEBEX_API_BASE_URL.replace(/\/+$/, '');

  if (problems.length > 0) throw new ConfigValidationError(problems);

  const store = env.SESSION_STORE ?? 'memory';
  const devStateDir =
    nodeEnv === 'development' && store === 'memory' ? resolve(env.DEV_STATE_DIR ?? '.dev') : undefined;
  const secrets = [
    env.SESSION_SECRET ?? (devStateDir ? devSessionSecret(devStateDir) : randomBytes(48).toString('base64url')),
  ];
  secrets.push(...(env.SESSION_PREVIOUS_SECRETS?.split(',') ?? []));
  const tokenKeys = env.TOKEN_ENCRYPTION_KEYS
    ? env.TOKEN_ENCRYPTION_KEYS.split(',').map((k) =>
        Buffer.from(k, k.includes('-') || k.includes('_') ? 'base64url' : 'base64'),
      )
    : // Derived from the session secrets, so rolling SESSION_SECRET rolls these keys too.
      secrets.map((secret) =>
        Buffer.from(hkdfSync('sha256', secret, 'webex-oauth-service', 'token encryption v1', 32)),
      );
  if (isProduction && store === 'memory') {
    warnings.push(
      'SESSION_STORE=memory in production: sessions live in this one process and end at every restart. Running more than one instance? Set SESSION_STORE=redis and REDIS_URL, or people will be signed out whenever another instance answers.',
    );
  }
  const secureCookie = redirectUri.protocol === 'https:';
  if (secureCookie && env.TRUST_PROXY === undefined) {
    warnings.push(
      'The redirect URI is https, so the session cookie is Secure: behind a TLS-terminating proxy set TRUST_PROXY (e.g. TRUST_PROXY=1), or no cookie will be set.',
    );
  }
  const idle = env.SESSION_IDLE_TIMEOUT ?? 1800;
  const absolute = env.SESSION_ABSOLUTE_TIMEOUT ?? 43_200;

  return {
    app: {
      nodeEnv,
      isProduction,
      host: env.HOST,
      port,
      logLevel: env.LOG_LEVEL ?? 'log',
      debugOAuth: /(^|[\s,])oauth(\*|:[^\s,]*)?($|[\s,])/.test(env.DEBUG ?? '') || env.DEBUG === '*',
      mode,
      warnings,
      logFormat: env.LOG_FORMAT ?? (isProduction ? 'json' : 'pretty'),
      trustProxy: parseTrustProxy(env.TRUST_PROXY),
      shutdownGraceMs: env.SHUTDOWN_GRACE_MS ?? 10_000,
      devStateDir,
    },
    oauth: {
      clientId,
      clientSecret,
      authorizeEndpoint,
      redirectUri: redirectUri.toString(),
      callbackPath: redirectUri.pathname,
      publicOrigin: redirectUri.origin,
      grantedScopes,
      openId: grantedScopes === undefined || grantedScopes.includes('openid'),
      extraIssuers: env.WEBEX_OIDC_ISSUERS?.split(',').map((issuer) => issuer.trim()) ?? [],
      loginStateTtlSeconds: env.LOGIN_STATE_TTL ?? 600,
      loginRateLimit: env.LOGIN_RATE_LIMIT ?? 30,
    },
    webex: {
      apiBaseUrl,
      timeoutMs: env.WEBEX_TIMEOUT_MS ?? 10_000,
      connectTimeoutMs: env.WEBEX_CONNECT_TIMEOUT_MS ?? 3000,
      retries: env.WEBEX_RETRIES ?? 2,
      retryAfterMaxWaitMs: env.WEBEX_RETRY_AFTER_MAX_WAIT_MS ?? 2000,
      pageSize: env.WEBEX_PAGE_SIZE ?? 1000,
      listLimit: env.WEBEX_LIST_LIMIT ?? 2000,
    },
    session: {
      secrets,
      generatedSecret: !env.SESSION_SECRET && !devStateDir,
      tokenKeys,
      // The __Host- prefix makes browsers refuse the cookie unless it is Secure, on "/", with no Domain.
      cookieName: secureCookie ? '__Host-wxo.sid' : 'wxo.sid',
      secureCookie,
      store,
      redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      redisSentinels: hostPorts(env.REDIS_SENTINELS),
      redisSentinelMaster: env.REDIS_SENTINEL_MASTER,
      redisClusterNodes: hostPorts(env.REDIS_CLUSTER_NODES),
      keyPrefix: env.REDIS_KEY_PREFIX ?? 'wxo:',
      idleTimeoutSeconds: idle,
      absoluteTimeoutSeconds: Math.max(absolute, idle),
      memoryMaxSessions: env.SESSION_MEMORY_MAX ?? 100_000,
    },
    metrics: {
      port: env.METRICS_PORT,
      host: env.HOST ?? '::',
    },
    sandbox: {
      enabled: mode === 'sandbox',
      port: sandboxPort,
      host: '127.0.0.1',
    },
  };
}

/** Whether REDIS_URL names a database other than 0 (one it cannot read is left to the client to refuse). */
function clusterDatabaseNamed(url: string): boolean {
  try {
    return redisCredentialsOf(url).db !== undefined;
  } catch {
    return false;
  }
}

/** `host:port,host:port` (validated already) as a list, or undefined when not set. */
function hostPorts(list: string | undefined): { host: string; port: number }[] | undefined {
  if (!list) return undefined;
  return list.split(',').map((entry) => {
    const [host, port] = entry.trim().split(':');
    return { host, port: Number(port) };
  });
}
