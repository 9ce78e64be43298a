import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ApiModule } from './api';
import { AuthModule } from './auth';
import { HttpErrorFilter } from './common';
import { configModule } from './config';
import { HealthModule } from './health/health.module';
import { LoggingModule } from './logging';
import { MetricsModule } from './metrics';
import { RoomsModule } from './rooms/rooms.module';
import { SandboxModeModule } from './sandbox-mode/sandbox-mode.module';
import { SessionModule } from './session';
import { SpacesModule } from './spaces/spaces.module';
import { WebexModule } from './webex';

@Module({
  imports: [
    configModule(),
    LoggingModule,
    MetricsModule,
    SessionModule,
    WebexModule,
    AuthModule,
    RoomsModule,
    SpacesModule,
    ApiModule,
    SandboxModeModule,
    HealthModule,
  ],
  providers: [{ provide: APP_FILTER, useClass: HttpErrorFilter }],
})
export class AppModule {}
