import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { errorPage, sendHtml } from './consent-page';

/** Webex's words for an unknown path, and for an id it does not know (or will not show this user). */
export const NOT_FOUND_MESSAGE = 'The requested resource could not be found.';

/** How a route answers errors: Webex REST JSON, OAuth token-endpoint JSON, or an HTML page for the browser. */
export type ErrorShape = 'rest' | 'oauth' | 'html';

export interface ResponseLocals {
  trackingId: string;
  shape: ErrorShape;
}

/** An error a route answers with its own shape; anything else thrown is a 500. */
export class EmulatorHttpError extends Error {
  override readonly name = 'EmulatorHttpError';

  constructor(
    readonly status: number,
    message: string,
    /** The OAuth `error` code, used only where the route answers OAuth-shaped. */
    readonly oauthError: string = oauthErrorFor(status),
  ) {
    super(message);
  }
}

function oauthErrorFor(status: number): string {
  if (status === 401) return 'invalid_client';
  if (status === 429 || status === 503) return 'temporarily_unavailable';
  return status < 500 ? 'invalid_request' : 'server_error';
}

/** Webex tracking ids look like ROUTER_ followed by an upper-case UUID. */
export function newTrackingId(): string {
  return `ROUTER_${randomUUID().toUpperCase()}`;
}

export function locals(res: Response): ResponseLocals {
  return res.locals as ResponseLocals;
}

export interface ErrorOptions {
  oauthError?: string;
  retryAfterSeconds?: number;
}

/** Answers an error in the shape of the route that was hit, with the request's tracking id. */
export function sendError(res: Response, status: number, message: string, options: ErrorOptions = {}): void {
  const { trackingId, shape } = locals(res);
  if (options.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(options.retryAfterSeconds));
  if (shape === 'html') {
    sendHtml(res, status, errorPage(message, trackingId));
  } else if (shape === 'oauth') {
    res.status(status).json({
      error: options.oauthError ?? oauthErrorFor(status),
      error_description: message,
      trackingID: trackingId,
    });
  } else {
    res.status(status).json({ message, errors: [{ description: message }], trackingId });
  }
}

/**
 * One value of a query or form parameter. The parsers give `string | string[]` (and a JSON body
 * anything), so a repeated or non-string value is a client error (RFC 6749 §3.1: parameters must
 * not be sent more than once), never a crash further down.
 */
export function oneParam(source: unknown, name: string): string | undefined {
  if (source === null || typeof source !== 'object') return undefined;
  const value: unknown = (source as Record<string, unknown>)[name];
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  throw new EmulatorHttpError(400, `Parameter ${name} must be given once.`);
}

export function requiredParam(source: unknown, name: string): string {
  const value = oneParam(source, name);
  if (value === undefined || value === '') throw new EmulatorHttpError(400, `Missing parameter ${name}.`);
  return value;
}

/** The path the client used, without the query: query strings may carry codes. */
export function describeRequest(req: Request): string {
  return `${req.method} ${req.path}`;
}
