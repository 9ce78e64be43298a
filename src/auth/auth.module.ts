import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { ThrottlerModule, type ThrottlerStorage } from '@nestjs/throttler';
import type Redis from 'ioredis';
import { oauthConfig, sessionConfig } from '../config';
import { REDIS_CLIENT, SessionModule, type RedisClient } from '../session';
import { WebexModule } from '../webex';
import { AuthController } from './auth.controller';
import { AuthGuard } from './auth.guard';
import { CanonicalHostMiddleware } from './canonical-host.middleware';
import { FeatureGuard } from './feature.guard';
import { FeaturesService } from './features.service';
import { SameOriginGuard } from './same-origin.guard';
import { SessionTokensService } from './session-tokens.service';
import { SharedThrottlerStorage } from './shared-throttler.storage';
import { SignInService } from './sign-in.service';

/** The throttler's Redis adapter, loaded with SESSION_STORE=redis only: it loads ioredis. */
function redisThrottlerStorage(redis: RedisClient): ThrottlerStorage {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a static import would load ioredis in every start
  const adapter = require('@nest-lab/throttler-storage-redis') as typeof import('@nest-lab/throttler-storage-redis');
  // Its overloads take Redis or Cluster, not the union; it accepts both at run time.
  return new adapter.ThrottlerStorageRedisService(redis as Redis);
}

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
        storage: redis ? new SharedThrottlerStorage(redisThrottlerStorage(redis), session.keyPrefix) : undefined,
      }),
    }),
  ],
  controllers: [AuthController],
  providers: [
    SignInService,
    SessionTokensService,
    FeaturesService,
    FeatureGuard,
    SameOriginGuard,
    { provide: APP_GUARD, useExisting: SameOriginGuard },
    AuthGuard,
    { provide: APP_GUARD, useExisting: AuthGuard },
  ],
  exports: [SignInService, SessionTokensService, FeaturesService, FeatureGuard],
})
export class AuthModule implements NestModule {
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
