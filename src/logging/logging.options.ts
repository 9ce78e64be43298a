import { RequestMethod } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import { stdTimeFunctions, type DestinationStream, type Level, type LogFn } from 'pino';
import type { Options } from 'pino-http';
import { isColorSupported, prettyFactory } from 'pino-pretty';
import type { Configuration } from '../config';
import { CENSOR, redactPaths, scrubText, serializeError, withoutQuery } from './redaction';
import { assignRequestId } from './request-id';

type AppSettings = Pick<Configuration['app'], 'logLevel' | 'logFormat'>;

/** Where lines go: anything with a synchronous write (process.stdout in the service). */
export interface LogOutput {
  write(chunk: string): unknown;
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

/** Answered often and of no interest while they work: logged only when they fail. */
const QUIET_PATHS = /^\/(static\/|favicon\.ico$|health\/)/;

type ExpressRequest = IncomingMessage & { originalUrl?: string; ip?: string; id?: unknown };

/** pino-http passes its own serialization with the request as `raw`; a plain logger passes the request. */
function rawOf<T>(value: unknown): T {
  return ((value as { raw?: T }).raw ?? value) as T;
}

function pathOf(req: ExpressRequest): string {
  return withoutQuery(req.originalUrl ?? req.url ?? '');
}

/** The request as logged: no query (code and state live there), no cookie, no body, a few headers. */
function serializeRequest(value: unknown): Record<string, unknown> {
  const req = rawOf<ExpressRequest>(value);
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

function requestLine(req: ExpressRequest, res: ServerResponse, responseTime: number): string {
  return `${req.method} ${pathOf(req)} ${res.writableEnded ? res.statusCode : 'aborted'} ${responseTime}ms`;
}

export function httpLoggerOptions(app: AppSettings): Options<ExpressRequest, ServerResponse> {
  const json = app.logFormat === 'json';
  return {
    level: PINO_LEVELS[app.logLevel],
    genReqId: assignRequestId,
    // In-request lines carry only `reqId`; the one line per request carries the whole req and res.
    quietReqLogger: true,
    redact: { paths: redactPaths(), censor: CENSOR },
    serializers: { req: serializeRequest, res: serializeResponse, err: serializeError },
    hooks: {
      logMethod(args: Parameters<LogFn>, method: LogFn) {
        const scrubbed = args.map((arg: unknown) => (typeof arg === 'string' ? scrubText(arg) : arg));
        return method.apply(this, scrubbed as Parameters<LogFn>);
      },
    },
    ...(json
      ? { timestamp: stdTimeFunctions.isoTime, formatters: { level: (label: string) => ({ level: label }) } }
      : {}),
    customLogLevel: (req, res, err) => {
      if (!err && res.statusCode < 400 && QUIET_PATHS.test(pathOf(req))) return 'silent';
      if (err || res.statusCode >= 500) return 'error';
      return res.statusCode >= 400 ? 'warn' : 'info';
    },
    customSuccessMessage: requestLine,
    // pino-http passes the response time as a fourth argument its types leave out.
    customErrorMessage: (req, res, _error, responseTime?: number) => requestLine(req, res, responseTime ?? 0),
    customErrorObject: (req, res, error, logged: Record<string, unknown>) => {
      // pino-http invents an Error for every 5xx; the filter has already logged the real one.
      const invented = error.message === `failed with status code ${res.statusCode}`;
      return invented ? { res: logged.res, responseTime: logged.responseTime } : logged;
    },
  };
}

/**
 * Writes each line synchronously, in this process: nothing is lost when the process exits and
 * tests see every line. Pretty lines are formatted here too (no transport worker thread).
 */
export function logDestination(
  format: AppSettings['logFormat'],
  options: LogDestinationOptions = {},
): DestinationStream {
  const out = options.out ?? process.stdout;
  if (format === 'json') return { write: (line: string) => void out.write(line) };
  const prettify = prettyFactory({
    colorize: options.colorize ?? isColorSupported,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,context,reqId,req,res,responseTime',
    messageFormat: '{if reqId}[{reqId}] {end}{if context}{context}: {end}{msg}',
    singleLine: true,
  });
  return { write: (line: string) => void out.write(prettify(line)) };
}

/** nestjs-pino's parameters from the app configuration. */
export function loggerParams(app: AppSettings, options: LogDestinationOptions = {}): Params {
  return {
    pinoHttp: [httpLoggerOptions(app), logDestination(app.logFormat, options)],
    forRoutes: [{ path: '{*splat}', method: RequestMethod.ALL }],
  };
}
