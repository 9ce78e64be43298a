import { Inject, MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import type { ConfigType } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { oauthConfig } from '../config';
import { WebexModule } from '../webex';
import { AuthController } from './auth.controller';
import { AuthGuard } from './auth.guard';
import { CanonicalHostMiddleware } from './canonical-host.middleware';
import { OAuthCallbackController } from './oauth-callback.controller';
import { OAuthService } from './oauth.service';
import { SameOriginGuard } from './same-origin.guard';
import { SessionTokensService } from './session-tokens.service';

@Module({
  imports: [
    WebexModule,
    // Mild per-client limits on starting and finishing sign-ins (ThrottlerGuard on those routes only).
    ThrottlerModule.forRootAsync({
      inject: [oauthConfig.KEY],
      useFactory: (config: ConfigType<typeof oauthConfig>) => ({
        throttlers: [{ ttl: 60_000, limit: Math.max(config.loginRateLimit, 1) }],
        skipIf: () => config.loginRateLimit === 0,
      }),
    }),
  ],
  controllers: [AuthController, OAuthCallbackController],
  providers: [
    OAuthService,
    SessionTokensService,
    SameOriginGuard,
    { provide: APP_GUARD, useExisting: SameOriginGuard },
    AuthGuard,
    { provide: APP_GUARD, useExisting: AuthGuard },
  ],
  exports: [OAuthService, SessionTokensService],
})
export class AuthModule implements NestModule {
  constructor(@Inject(oauthConfig.KEY) config: ConfigType<typeof oauthConfig>) {
    // Route paths are read when app.init() resolves routes, which happens after modules are built.
    Reflect.defineMetadata(PATH_METADATA, config.callbackPath, OAuthCallbackController);
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
