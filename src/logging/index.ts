import type { INestApplication } from '@nestjs/common';
import { Logger, PARAMS_PROVIDER_TOKEN } from 'nestjs-pino';
import type { LoggerParams } from './logging.options';
import { logsSuccessfulRequests } from './request-log';

export { LoggingModule } from './logging.module';
export { REQUEST_ID_HEADER, requestIdOf } from './request-id';

/** Every Nest `Logger` line (framework and ours) goes through pino from here on; buffered lines are flushed. */
export function useAppLogger(app: INestApplication): void {
  app.useLogger(app.get(Logger));
}

/** Whether the app writes a line for every request it answers (LOG_LEVEL log and below). */
export function logsEveryRequest(app: INestApplication): boolean {
  return logsSuccessfulRequests(app.get<LoggerParams>(PARAMS_PROVIDER_TOKEN).pinoHttp.logger);
}
