import { Inject, Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { LoggerModule, PARAMS_PROVIDER_TOKEN } from 'nestjs-pino';
import { appConfig } from '../config';
import { loggerParams, type LoggerParams } from './logging.options';
import { requestLog } from './request-log';

/**
 * Structured logs through pino: JSON lines in production, readable lines in development, one
 * line per request, a request id on every line logged during a request, credentials scrubbed.
 * main.ts (and the e2e support) route Nest's Logger here with `useAppLogger`.
 */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [appConfig.KEY],
      useFactory: (app: ConfigType<typeof appConfig>) => loggerParams(app),
    }),
  ],
})
export class LoggingModule implements NestModule {
  constructor(@Inject(PARAMS_PROVIDER_TOKEN) private readonly params: LoggerParams) {}

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(requestLog(this.params.pinoHttp.logger)).forRoutes({ path: '{*splat}', method: RequestMethod.ALL });
  }
}
