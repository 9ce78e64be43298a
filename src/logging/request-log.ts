import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Level, Logger } from 'pino';
import { withoutQuery } from './redaction';
import { assignRequestId, runWithRequestId } from './request-id';

export type LoggedRequest = IncomingMessage & { originalUrl?: string; ip?: string; id?: unknown };

/** Answered often and of no interest while they work: logged only when they fail. */
const QUIET_PATHS = /^\/(static\/|favicon\.ico$|health\/)/;

export function pathOf(req: LoggedRequest): string {
  return withoutQuery(req.originalUrl ?? req.url ?? '');
}

/** The level of a successful request's line. */
const SUCCESS_LEVEL: Level = 'info';

function levelOf(res: ServerResponse, error: unknown): Level {
  if (error !== undefined || res.statusCode >= 500) return 'error';
  return res.statusCode >= 400 ? 'warn' : SUCCESS_LEVEL;
}

/**
 * The app's first middleware (`useRequestLog`): gives the request its id, runs the rest of its
 * handling under that id, so every line written meanwhile carries it (the logger's mixin reads
 * it), and once it is answered writes its line ("GET /path 200 12ms", with req, res and the time)
 * in one logger call. First, so that static files and requests refused before Nest's router have
 * an id and a line too.
 *
 * In place of pino-http, which builds a child logger per request with the request serialized
 * into its bindings (two with quietReqLogger), whether or not a line follows, and has no option
 * to avoid it. Here nothing is built until a line is written: at LOG_LEVEL=warn a 2xx costs two
 * listeners and a level check.
 */
export function requestLog(logger: Logger) {
  return function logRequest(req: LoggedRequest, res: ServerResponse, next: () => void): void {
    const id = assignRequestId(req, res);
    req.id = id;
    const start = Date.now();
    const onClose = () => done(undefined);
    const onError = (error: unknown) => done(error);
    function done(error: unknown): void {
      res.removeListener('close', onClose);
      res.removeListener('error', onError);
      const level = levelOf(res, error);
      // At LOG_LEVEL=warn this is where a 2xx stops: nothing built, no path parsed.
      if (!logger.isLevelEnabled(level)) return;
      const path = pathOf(req);
      if (level === SUCCESS_LEVEL && QUIET_PATHS.test(path)) return;
      const responseTime = Date.now() - start;
      const status = res.writableEnded ? res.statusCode : 'aborted';
      logger[level](
        // The id is passed, not left to the mixin: 'close' may run outside the request's context.
        error === undefined ? { reqId: id, req, res, responseTime } : { reqId: id, req, res, responseTime, err: error },
        `${req.method} ${path} ${status} ${responseTime}ms`,
      );
    }
    // 'close' comes after 'finish', and alone when the client went away first. An 'error' on the
    // response is logged rather than left to become an uncaught exception, as pino-http did.
    res.on('close', onClose);
    res.on('error', onError);
    runWithRequestId(id, next);
  };
}
