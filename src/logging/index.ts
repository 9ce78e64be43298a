import type { INestApplication } from '@nestjs/common';
import { Logger, PARAMS_PROVIDER_TOKEN } from 'nestjs-pino';
import type { LoggerParams } from './logging.options';
import { requestLog } from './request-log';

export { LOG_OUTPUT, LoggingModule } from './logging.module';
export { REQUEST_ID_HEADER, requestIdOf } from './request-id';
export { withoutQuery } from './redaction';

/** Every Nest `Logger` line (framework and ours) goes through pino from here on; buffered lines are flushed. */
export function useAppLogger(app: INestApplication): void {
  app.useLogger(app.get(Logger));
}

/**
 * The request id and the request line (src/logging/request-log.ts), through the app's logger. Call
 * it before any other `app.use`: middleware runs in the order it is mounted, and every request is
 * to have both, static files and requests refused before Nest's router included.
 */
export function useRequestLog(app: INestApplication): void {
  app.use(requestLog(app.get<LoggerParams>(PARAMS_PROVIDER_TOKEN).pinoHttp.logger));
}
