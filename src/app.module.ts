import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ApiModule } from './api';
import { AuthModule, OAuthCallbackModule } from './auth';
import { HttpErrorFilter } from './common';
import { configModule, oauthConfig } from './config';
import { HealthModule } from './health/health.module';
import { LoggingModule } from './logging';
import { MetricsModule } from './metrics';
import { SandboxModeModule } from './sandbox-mode/sandbox-mode.module';
import { SessionModule } from './session';
import { SpacesModule } from './spaces/spaces.module';
import { TeamsModule } from './teams/teams.module';
import { WebexModule } from './webex';

/** Read once per process, as .env is; each app's namespaces are computed when it is created. */
const config = configModule();

/**
 * The whole service for the environment it is created in: `AppModule.forRoot()` after the
 * environment is set (main.ts, and every e2e suite through test/support/app.ts).
 */
@Module({})
export class AppModule {
  static forRoot(): DynamicModule {
    return {
      module: AppModule,
      imports: [
        config,
        LoggingModule,
        MetricsModule,
        SessionModule,
        WebexModule,
        AuthModule,
        OAuthCallbackModule.forRoot(oauthConfig()),
        SpacesModule,
        TeamsModule,
        ApiModule,
        SandboxModeModule,
        HealthModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: HttpErrorFilter }],
    };
  }
}
