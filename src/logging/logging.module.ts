import { Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { LoggerModule } from 'nestjs-pino';
import { appConfig } from '../config';
import { loggerParams } from './logging.options';

/**
 * Structured logs through pino: JSON lines in production, readable lines in development, one
 * line per request, a request id on every line logged during a request, credentials redacted.
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
export class LoggingModule {}
