import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { LoggerModule, PARAMS_PROVIDER_TOKEN } from 'nestjs-pino';
import { appConfig } from '../config';
import { asyncStdout, loggerParams, type LoggerParams, type LogOutput } from './logging.options';

/** Where log lines go: standard output, asynchronously. The e2e support puts a capture here. */
export const LOG_OUTPUT = Symbol('LOG_OUTPUT');

/**
 * Structured logs through pino: JSON lines in production, readable lines in development, one
 * line per request, a request id on every line logged during a request, credentials scrubbed.
 * main.ts (and the e2e support) route Nest's Logger here with `useAppLogger`; configureApp mounts
 * the request line with `useRequestLog`.
 */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      providers: [{ provide: LOG_OUTPUT, useFactory: asyncStdout }],
      inject: [appConfig.KEY, LOG_OUTPUT],
      useFactory: (app: ConfigType<typeof appConfig>, out: LogOutput) => loggerParams(app, { out }),
    }),
  ],
})
export class LoggingModule implements OnApplicationShutdown {
  constructor(@Inject(PARAMS_PROVIDER_TOKEN) private readonly params: LoggerParams) {}

  /** Lines still in the buffer are written before the process goes on to exit (pino also flushes at exit). */
  onApplicationShutdown(): Promise<void> {
    return new Promise((resolve) => this.params.pinoHttp.logger.flush(() => resolve()));
  }
}
