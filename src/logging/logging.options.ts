import type { ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import {
  pino,
  stdTimeFunctions,
  type DestinationStream,
  type Level,
  type Logger,
  type LoggerOptions,
  type LogFn,
} from 'pino';
import { isColorSupported, prettyFactory } from 'pino-pretty';
import type { Configuration } from '../config';
import { scrubFields, scrubText, scrubValue, serializeError, withoutQuery } from './redaction';
import { currentRequestId } from './request-id';
import { pathOf, type LoggedRequest } from './request-log';

type AppSettings = Pick<Configuration['app'], 'logLevel' | 'logFormat'>;

/** Where lines go: `asyncStdout()` in the service, anything with a `write` in tests. */
export interface LogOutput {
  write(chunk: string): unknown;
  /** Writes out what is buffered, then calls `done`; an output without a buffer needs none. */
  flush?(done: () => void): void;
}

/**
 * Standard output through pino's asynchronous destination (sonic-boom), set up as pino's
 * "Asynchronous logging" page does: lines are buffered and written by libuv in chunks of at least
 * 4 KB while the service goes on, instead of a blocking write each (stdout is a pipe under a
 * process manager, and pipes block on Linux). Without `minLength` each line left in a write of
 * its own through libuv's thread pool as soon as the previous one was done, which cost more than
 * building it. A quiet service's lines leave within `periodicFlush`. pino writes what is left when
 * the process exits; `LoggingModule` also flushes at shutdown.
 */
export function asyncStdout(): LogOutput {
  return pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 1000 });
}

export interface LogDestinationOptions {
  out?: LogOutput;
  /** Pretty format only; default: when the terminal supports colour. */
  colorize?: boolean;
}

/** Nest's level names (LOG_LEVEL) in pino's terms. */
export const PINO_LEVELS: Record<Configuration['app']['logLevel'], Level> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

/** A request logged bare comes as pino-std-serializers' form, with the request itself as `raw`. */
function rawOf<T>(value: unknown): T {
  return ((value as { raw?: T }).raw ?? value) as T;
}

/** The request as logged: no query (code and state live there), no cookie, no body, a few headers. */
function serializeRequest(value: unknown): Record<string, unknown> {
  const req = rawOf<LoggedRequest>(value);
  const referer = req.headers?.referer;
  return {
    id: req.id,
    method: req.method,
    url: pathOf(req),
    remoteAddress: req.ip ?? req.socket?.remoteAddress,
    headers: {
      host: req.headers?.host,
      'user-agent': req.headers?.['user-agent'],
      // After the callback, the next page's Referer is the callback URL, code and state included.
      referer: referer ? withoutQuery(referer) : undefined,
    },
  };
}

/** Status and where a redirect went (the /login redirect's query holds the state): nothing else. */
function serializeResponse(value: unknown): Record<string, unknown> {
  const res = rawOf<ServerResponse>(value);
  const location = typeof res.getHeader === 'function' ? res.getHeader('location') : undefined;
  return {
    statusCode: res.headersSent ? res.statusCode : null,
    ...(typeof location === 'string' ? { headers: { location: withoutQuery(location) } } : {}),
  };
}

function scrubArgument(arg: unknown): unknown {
  if (typeof arg === 'string') return scrubText(arg);
  return typeof arg === 'object' && arg !== null ? scrubValue(arg) : arg;
}

/** The message pino writes for `log(error)` or `log({ err })` without one: the error's own. */
function impliedMessage(first: unknown): string | undefined {
  if (typeof first !== 'object' || first === null || (first as { msg?: unknown }).msg !== undefined) return undefined;
  const error: unknown = first instanceof Error ? first : (first as { err?: unknown }).err;
  const message = (error as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : undefined;
}

const serializers = { req: serializeRequest, res: serializeResponse, err: serializeError };
const SERIALIZED: ReadonlySet<string> = new Set(Object.keys(serializers));

/**
 * Everything here runs only for a line that is written (pino skips a disabled level before
 * calling any of it), so scrubbing can be thorough: no pino `redact`, whose paths were applied
 * to every child logger's bindings, once or twice per request, whether or not a line followed.
 */
export function loggerOptions(app: AppSettings): LoggerOptions {
  const json = app.logFormat === 'json';
  return {
    level: PINO_LEVELS[app.logLevel],
    // The request a line was written under, without a child logger per request.
    mixin: () => {
      const reqId = currentRequestId();
      return reqId === undefined ? {} : { reqId };
    },
    serializers,
    hooks: {
      // The message and its format arguments; the fields (first argument) are formatters.log's.
      logMethod(args: Parameters<LogFn>, method: LogFn) {
        const scrubbed = (args as unknown[]).map((arg, i) =>
          i === 0 && typeof arg === 'object' ? arg : scrubArgument(arg),
        );
        // Given no message, pino takes the error's, after this hook: it is scrubbed here instead.
        const implied = scrubbed[1] === undefined ? impliedMessage(scrubbed[0]) : undefined;
        if (implied !== undefined) scrubbed[1] = scrubText(implied);
        return method.apply(this, scrubbed as Parameters<LogFn>);
      },
    },
    formatters: {
      log: (fields) => scrubFields(fields, SERIALIZED),
      ...(json ? { level: (label: string) => ({ level: label }) } : {}),
    },
    ...(json ? { timestamp: stdTimeFunctions.isoTime } : {}),
  };
}

/**
 * Lines go to `out` (standard output by default), pretty ones formatted here in this process (no
 * transport worker thread).
 */
export function logDestination(
  format: AppSettings['logFormat'],
  options: LogDestinationOptions = {},
): DestinationStream {
  const out = options.out ?? asyncStdout();
  // Kept whole, so pino's flush() reaches its buffer.
  if (format === 'json') return out;
  const prettify = prettyFactory({
    colorize: options.colorize ?? isColorSupported,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,context,reqId,req,res,responseTime',
    messageFormat: '{if reqId}[{reqId}] {end}{if context}{context}: {end}{msg}',
    singleLine: true,
  });
  return {
    write: (line: string) => void out.write(prettify(line)),
    flush: (done: () => void) => (out.flush ? out.flush(done) : done()),
  } as DestinationStream;
}

export function createLogger(app: AppSettings, options: LogDestinationOptions = {}): Logger {
  return pino(loggerOptions(app), logDestination(app.logFormat, options));
}

/**
 * nestjs-pino's parameters: its Logger (behind Nest's) writes through our logger, and its own
 * request middleware is off (no routes): LoggingModule applies `requestLog` instead.
 */
export function loggerParams(app: AppSettings, options: LogDestinationOptions = {}) {
  return {
    pinoHttp: { logger: createLogger(app, options) },
    useExisting: true,
    forRoutes: [],
  } satisfies Params;
}

export type LoggerParams = ReturnType<typeof loggerParams>;
