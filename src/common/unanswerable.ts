import type { Logger } from '@nestjs/common';
import type { Request, Response } from 'express';

/**
 * What every exception filter does before it answers: our own bug (500) has its stack logged (it
 * holds no request data), never shown; and an answer already under way can only be ended. True
 * when the filter must not write an answer.
 */
export function logBugOrEndStarted(
  logger: Logger,
  status: number,
  exception: unknown,
  req: Request,
  res: Response,
): boolean {
  if (status === 500) {
    logger.error(`${req.method} ${req.path} failed`, exception instanceof Error ? exception.stack : String(exception));
  }
  if (!res.headersSent) return false;
  res.end();
  return true;
}
