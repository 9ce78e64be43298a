import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/**
 * What an incoming X-Request-Id may look like to be kept: short, one token, no spaces or line
 * breaks, so a caller cannot forge log lines or bloat them through it.
 */
const SANE_REQUEST_ID = /^[\w.:-]{1,128}$/;

/** The caller's id when it is sane (a proxy's, to correlate), else a new UUID; sent back in X-Request-Id. */
export function assignRequestId(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader(REQUEST_ID_HEADER, id);
  return id;
}

/** The id the request log gave this request (it is the app's first middleware). */
export function requestIdOf(req: IncomingMessage): string | undefined {
  const id = (req as IncomingMessage & { id?: unknown }).id;
  return typeof id === 'string' ? id : undefined;
}

/** The request being answered, for lines written while it runs (services know nothing of requests). */
const current = new AsyncLocalStorage<string>();

/** Runs `next` (the rest of the request's handling, and everything it starts) under `id`. */
export function runWithRequestId(id: string, next: () => void): void {
  current.run(id, next);
}

export function currentRequestId(): string | undefined {
  return current.getStore();
}
