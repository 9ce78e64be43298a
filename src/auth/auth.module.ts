import { Inject, MiddlewareConsumer, Module, NestModule, OnApplicationBootstrap, RequestMethod } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { ConfigType } from '@nestjs/config';
import { APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { ThrottlerModule } from '@nestjs/throttler';
import type Redis from 'ioredis';
import { oauthConfig, sessionConfig } from '../config';
import { REDIS_CLIENT, SessionModule, type RedisClient } from '../session';
import { WebexModule } from '../webex';
import { AuthController } from './auth.controller';
import { AuthGuard } from './auth.guard';
import { CanonicalHostMiddleware } from './canonical-host.middleware';
import { FeatureGuard } from './feature.guard';
import { FeaturesService } from './features.service';
import { OAuthCallbackController } from './oauth-callback.controller';
import { OAuthService } from './oauth.service';
import { SameOriginGuard } from './same-origin.guard';
import { SessionTokensService } from './session-tokens.service';
import { SharedThrottlerStorage } from './shared-throttler.storage';

@Module({
  imports: [
    DiscoveryModule,
    SessionModule,
    WebexModule,
    // Mild per-client limits on starting and finishing sign-ins (ThrottlerGuard on those routes only).
    // With Redis, the counters are shared by every instance (SharedThrottlerStorage).
    ThrottlerModule.forRootAsync({
      imports: [SessionModule],
      inject: [oauthConfig.KEY, sessionConfig.KEY, REDIS_CLIENT],
      useFactory: (
        config: ConfigType<typeof oauthConfig>,
        session: ConfigType<typeof sessionConfig>,
        redis: RedisClient | null,
      ) => ({
        throttlers: [{ ttl: 60_000, limit: Math.max(config.loginRateLimit, 1) }],
        skipIf: () => config.loginRateLimit === 0,
        storage: redis
          ? // The adapter's overloads take Redis or Cluster, not the union; it accepts both at run time.
            new SharedThrottlerStorage(new ThrottlerStorageRedisService(redis as Redis), session.keyPrefix)
          : undefined,
      }),
    }),
  ],
  controllers: [AuthController, OAuthCallbackController],
  providers: [
    OAuthService,
    SessionTokensService,
    FeaturesService,
    FeatureGuard,
    SameOriginGuard,
    { provide: APP_GUARD, useExisting: SameOriginGuard },
    AuthGuard,
    { provide: APP_GUARD, useExisting: AuthGuard },
  ],
  exports: [OAuthService, SessionTokensService, FeaturesService, FeatureGuard],
})
export class AuthModule implements NestModule, OnApplicationBootstrap {
  constructor(
    @Inject(oauthConfig.KEY) private readonly config: ConfigType<typeof oauthConfig>,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {
    // Route paths are read when app.init() resolves routes, which happens after modules are built.
    Reflect.defineMetadata(PATH_METADATA, config.callbackPath, OAuthCallbackController);
  }

  /** The callback must have its path to itself: on a page's path, one would shadow the other. */
  onApplicationBootstrap(): void {
    const callback = this.config.callbackPath;
    const clash = routePaths(this.discovery, this.scanner, OAuthCallbackController).find((path) =>
      samePath(path, callback),
    );
    if (clash) {
      throw new Error(
        `AUTH_INIT_URL’s redirect_uri path ${callback} is also this service’s page ${clash}: use a path of its own, such as /oauth, in the integration and in AUTH_INIT_URL`,
      );
    }
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(CanonicalHostMiddleware)
      .forRoutes(
        { path: '/', method: RequestMethod.GET },
        { path: 'index.html', method: RequestMethod.GET },
        { path: 'login', method: RequestMethod.GET },
      );
  }
}

/** Every path a controller other than `except` answers, as Nest registered it (`:name` for a parameter). */
function routePaths(discovery: DiscoveryService, scanner: MetadataScanner, except: object): string[] {
  const asList = (value: unknown): string[] =>
    Array.isArray(value) ? (value as string[]) : [typeof value === 'string' ? value : ''];
  return discovery.getControllers().flatMap(({ metatype, instance }) => {
    if (!metatype || metatype === except || !instance) return [];
    const prefixes = asList(Reflect.getMetadata(PATH_METADATA, metatype));
    const prototype = Object.getPrototypeOf(instance) as object;
    return scanner.getAllMethodNames(prototype).flatMap((name) => {
      const handler = (prototype as Record<string, unknown>)[name] as object;
      if (!Reflect.hasMetadata(PATH_METADATA, handler)) return [];
      return prefixes.flatMap((prefix) =>
        asList(Reflect.getMetadata(PATH_METADATA, handler)).map((path) => `/${prefix}/${path}`.replace(/\/+/g, '/')),
      );
    });
  });
}

/** As Express matches a request path against a route: any case, an optional trailing slash, `:name` one segment. */
export function samePath(route: string, path: string): boolean {
  const segments = route
    .split('/')
    .filter(Boolean)
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  return new RegExp(`^/${segments.join('/')}/?$`, 'i').test(path);
}
