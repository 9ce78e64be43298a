import {
  Inject,
  Logger,
  MiddlewareConsumer,
  Module,
  NestModule,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import session, { Store, type SessionData, type SessionOptions } from 'express-session';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { appConfig, sessionConfig, webexConfig } from '../config';
import { BoundedMemoryStore } from './bounded-memory.store';
import { GrantStore } from './grant.store';
import { GuardedStore } from './guarded.store';
import { LoginStateStore, MemoryLoginStateStore } from './login-state.store';
import { MemoryGrantStore } from './memory-grant.store';
import type { RedisClient } from './redis.client';
import { SessionStoreHealth } from './session-store.health';
import { EXPRESS_SESSION, forgetSignIn, SessionService } from './session.service';
import { TokenCipher } from './token-cipher';

export const SESSION_STORE = Symbol('SESSION_STORE');

export const REDIS_CLIENT = Symbol('REDIS_CLIENT');

type SessionConfig = ConfigType<typeof sessionConfig>;
type AppConfig = ConfigType<typeof appConfig>;

/** The Redis client and stores, loaded with SESSION_STORE=redis only (src/session/redis-stores.ts). */
function redisStores(): typeof import('./redis-stores') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a static import would load ioredis in every start
  return require('./redis-stores') as typeof import('./redis-stores');
}

/** Development keeps the in-memory stores in files, so watch restarts keep the developer signed in. */
const devFile = (app: AppConfig, name: string) => (app.devStateDir ? join(app.devStateDir, name) : undefined);

/** Seconds a session may still live: the idle timeout, but never past the absolute one. */
function sessionTtlSeconds(config: SessionConfig, data: Partial<SessionData>, now = Date.now()): number {
  if (data.signedInAt === undefined) return config.idleTimeoutSeconds;
  const left = Math.ceil((data.signedInAt + config.absoluteTimeoutSeconds * 1000 - now) / 1000);
  return Math.max(1, Math.min(config.idleTimeoutSeconds, left));
}

/** express-session as this service runs it (SessionModule; bench/floor.ts measures the same). */
export function sessionOptions(
  config: Pick<SessionConfig, 'cookieName' | 'secrets' | 'secureCookie'>,
  store: Store,
): SessionOptions {
  return {
    name: config.cookieName,
    secret: config.secrets,
    store,
    resave: false,
    saveUninitialized: false,
    // Not rolling: a Set-Cookie on every answer would let a late answer put back an old session
    // id after sign-in. The idle timeout lives in the store, pushed out by touch on each request.
    rolling: false,
    // Every request without a cookie gets a new (unsaved) session id. express-session's default
    // draws 24 bytes through crypto.randomBytes each time, the largest part of its cost on the
    // signed-out home page (bench/RESULTS.md); a v4 UUID comes from Node's pooled CSPRNG buffer
    // and still carries 122 random bits, beside the cookie's HMAC signature.
    genid: () => randomUUID(),
    cookie: {
      httpOnly: true,
      // Strict would drop the cookie on the redirect back from Webex.
      sameSite: 'lax',
      secure: config.secureCookie ? true : 'auto',
      path: '/',
    },
  };
}

/**
 * express-session for the requests whose browser sent its cookie (the name anywhere in the Cookie
 * header: a near miss only costs a store lookup). A visitor without one gets no session object,
 * whatever the path: the session exists once a handler starts one (SessionService.start, as
 * sign-in does), so no list of paths has to agree with the router. Building and checking an unused
 * session for every cookie-less request was the largest cost of the signed-out pages (bench/).
 */
export function forSessionCookie(cookieName: string, expressSession: RequestHandler): RequestHandler {
  return (req, res, next) => (req.headers.cookie?.includes(cookieName) ? expressSession(req, res, next) : next());
}

@Module({
  providers: [
    SessionService,
    {
      provide: REDIS_CLIENT,
      inject: [sessionConfig.KEY],
      useFactory: (config: SessionConfig): RedisClient | null =>
        config.store === 'redis' ? redisStores().createRedisClient(config) : null,
    },
    {
      provide: SESSION_STORE,
      inject: [sessionConfig.KEY, appConfig.KEY, REDIS_CLIENT],
      useFactory: (config: SessionConfig, app: AppConfig, redis: RedisClient | null): Store =>
        redis
          ? new GuardedStore(
              new (redisStores().RedisStore)({
                client: redis,
                prefix: `${config.keyPrefix}sess:`,
                ttl: (data: SessionData) => sessionTtlSeconds(config, data),
              }),
            )
          : new BoundedMemoryStore({
              max: config.memoryMaxSessions,
              ttlSeconds: config.idleTimeoutSeconds,
              persistFile: devFile(app, 'sessions.json'),
            }),
    },
    {
      provide: LoginStateStore,
      inject: [sessionConfig.KEY, appConfig.KEY, REDIS_CLIENT],
      useFactory: (config: SessionConfig, app: AppConfig, redis: RedisClient | null) =>
        redis
          ? new (redisStores().RedisLoginStateStore)(redis, config.keyPrefix)
          : new MemoryLoginStateStore({ persistFile: devFile(app, 'pending-sign-ins.json') }),
    },
    {
      provide: GrantStore,
      inject: [sessionConfig.KEY, appConfig.KEY, webexConfig.KEY, REDIS_CLIENT],
      useFactory: (
        config: SessionConfig,
        app: AppConfig,
        webex: ConfigType<typeof webexConfig>,
        redis: RedisClient | null,
      ) => {
        const options = {
          cipher: new TokenCipher(config.tokenKeys),
          ttlMs: config.absoluteTimeoutSeconds * 1000,
          // A refresh is one token call; past its time budget, waiters give up rather than hang.
          refreshWaitMs: webex.timeoutMs + 2000,
        };
        return redis
          ? new (redisStores().RedisGrantStore)(redis, config.keyPrefix, options)
          : new MemoryGrantStore({
              ...options,
              max: config.memoryMaxSessions,
              persistFile: devFile(app, 'grants.json'),
            });
      },
    },
    {
      provide: EXPRESS_SESSION,
      inject: [sessionConfig.KEY, SESSION_STORE],
      useFactory: (config: SessionConfig, store: Store): RequestHandler => session(sessionOptions(config, store)),
    },
    {
      provide: SessionStoreHealth,
      inject: [sessionConfig.KEY, REDIS_CLIENT],
      useFactory: (config: SessionConfig, redis: RedisClient | null) =>
        new SessionStoreHealth(config.store, redis ?? undefined),
    },
  ],
  exports: [SessionService, LoginStateStore, GrantStore, SessionStoreHealth, REDIS_CLIENT],
})
export class SessionModule implements NestModule, OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Session');

  constructor(
    @Inject(sessionConfig.KEY) private readonly config: SessionConfig,
    @Inject(SESSION_STORE) private readonly store: Store,
    @Inject(EXPRESS_SESSION) private readonly expressSession: RequestHandler,
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient | null,
    private readonly sessions: SessionService,
    private readonly loginStates: LoginStateStore,
    private readonly grants: GrantStore,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.redis) return;
    const ready = await redisStores().whenReady(this.redis, 3000);
    if (ready) this.logger.log(`Sessions in Redis (key prefix ${this.config.keyPrefix})`);
    else this.logger.warn('Redis is not answering yet: signed-in pages answer 503 until it does');
  }

  async onApplicationShutdown(): Promise<void> {
    for (const store of [this.store, this.loginStates, this.grants]) {
      if ('flush' in store && typeof store.flush === 'function') (store as { flush(): void }).flush();
    }
    if (this.redis && this.redis.status !== 'end') await this.redis.quit().catch(() => this.redis?.disconnect());
  }

  configure(consumer: MiddlewareConsumer): void {
    const absoluteTimeout = (req: Request, res: Response, next: NextFunction) => {
      if (this.sessions.isExpired(req.session)) {
        forgetSignIn(req.session, 'Your session has ended. Please sign in again.');
      }
      // An answer that may read a session is personal: no browser or proxy may keep it.
      res.setHeader('Cache-Control', 'no-store');
      next();
    };
    // Every request, matched or not, so error pages know who is signed in too.
    consumer
      .apply(forSessionCookie(this.config.cookieName, this.expressSession), absoluteTimeout)
      .forRoutes('{*splat}');
  }
}
