import { Inject, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { ConfigModule, type ConfigType } from '@nestjs/config';
import cors from 'cors';
import { AuthModule } from '../auth';
import { apiConfig } from '../config';
import { SessionModule } from '../session';
import { WebexModule } from '../webex';
import { ApiDocsController, ApiDocument } from './api-docs';
import { MeApiController } from './me-api.controller';
import { SessionApiController } from './session-api.controller';
import { SpacesApiController } from './spaces-api.controller';

/** The JSON API under /api/v1: the service as a backend for front ends (see README). */
@Module({
  imports: [ConfigModule.forFeature(apiConfig), AuthModule, SessionModule, WebexModule],
  controllers: [SessionApiController, MeApiController, SpacesApiController, ApiDocsController],
  providers: [ApiDocument],
})
export class ApiModule implements NestModule {
  constructor(@Inject(apiConfig.KEY) private readonly config: ConfigType<typeof apiConfig>) {}

  /**
   * CORS only when API_CORS_ORIGINS lists origins: with credentials, for reads. POST stays
   * same-origin (the global SameOriginGuard): another origin may read, never sign a person out.
   */
  configure(consumer: MiddlewareConsumer): void {
    if (this.config.corsOrigins.length === 0) return;
    consumer
      .apply(cors({ origin: this.config.corsOrigins, credentials: true, methods: ['GET', 'HEAD'], maxAge: 600 }))
      .forRoutes('api/v1/{*splat}');
  }
}
