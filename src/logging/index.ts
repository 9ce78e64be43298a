import type { INestApplication } from '@nestjs/common';
import { Logger } from 'nestjs-pino';

export { LOG_OUTPUT, LoggingModule } from './logging.module';
export { REQUEST_ID_HEADER, requestIdOf } from './request-id';
export { withoutQuery } from './redaction';

/** Every Nest `Logger` line (framework and ours) goes through pino from here on; buffered lines are flushed. */
export function useAppLogger(app: INestApplication): void {
  app.useLogger(app.get(Logger));
}
