import type { Request, RequestHandler, Response } from 'express';
import type { Grant } from './emulator-state';
import { PageCursorCodec, type Json } from './page-cursor';
import type { RouteContext } from './route-context';
import { findSeedUser, type SeedUser } from './seed-data';
import { EmulatorHttpError, NOT_FOUND_MESSAGE, oneParam, sendError } from './webex-responses';

// The building blocks of the REST routes in api.routes.ts: the scope check, list and item answers,
// and readers for query parameters that answer a Webex-shaped 400.

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
const MAX_ID_CHARS = 1024;
const MAX = /^\d{1,4}$/;
const WEBEX_MAX_LIMIT = 1000;
const WEBEX_DEFAULT_MAX = 100;

/**
 * Bearer-token check, as Webex does it: 401 for any token it cannot use, 403 for a missing scope.
 * The one place a route states its scope; the emulator lists the scopes its routes check from here.
 */
export function requireScope(ctx: RouteContext, scope: string): RequestHandler {
  ctx.routes.addScope(scope);
  return (req, res, next) => {
    const match = BEARER.exec(req.headers.authorization ?? '');
    const grant = match ? ctx.state.authenticate(match[1]) : undefined;
    if (!grant) {
      sendError(res, 401, 'The request requires a valid access token set in the Authorization request header.');
      return;
    }
    if (!grant.scopes.includes(scope)) {
      sendError(res, 403, `The access token lacks the ${scope} scope this request needs.`);
      return;
    }
    res.locals.grant = grant;
    next();
  };
}

/** The seeded user a grant speaks for: every token and code is issued to one. */
export function grantedUser(grant: Grant): SeedUser {
  const user = findSeedUser(grant.handle);
  if (!user) throw new Error('A token was issued to a user the seed does not have.');
  return user;
}

/** The seeded user whose token requireScope accepted. */
export function callerOf(res: Response): SeedUser {
  return grantedUser(res.locals.grant as Grant);
}

/** A parameter that takes one of a few words, e.g. "type must be direct or group." otherwise. */
export function enumParam<T extends string>(params: unknown, name: string, allowed: readonly T[]): T | undefined {
  const value = oneParam(params, name);
  if (value === undefined || (allowed as readonly string[]).includes(value)) return value as T | undefined;
  const words = allowed.length > 1 ? `${allowed.slice(0, -1).join(', ')} or ${allowed.at(-1)}` : allowed.join('');
  throw new EmulatorHttpError(400, `${name} must be ${words}.`);
}

/** A Webex id parameter (teamId, roomId…): opaque, but not empty and not huge. */
export function idParam(params: unknown, name: string): string | undefined {
  const value = oneParam(params, name);
  if (value !== undefined && (value === '' || value.length > MAX_ID_CHARS)) {
    throw new EmulatorHttpError(400, `${name} is not valid.`);
  }
  return value;
}

/** What a list endpoint says about itself; pagedList does the rest. */
export interface PagedListSpec<Q extends Json, T> {
  /**
   * Reads and checks the list's own parameters from req.query (not max or cursor), throwing a 400
   * EmulatorHttpError for a bad one. What it returns goes into next links, so it must survive JSON.
   */
  query: (params: unknown) => Q;
  /** Every item the query selects for the caller, in the list's order. */
  items: (query: Q, caller: SeedUser) => readonly T[];
  /** An item's JSON; JSON.stringify by default. A list of thousands may pass a cached one. */
  json?: (item: T) => string;
  /** The page size when max is absent; Webex's usual 100 by default. */
  defaultMax?: number;
}

function readMax(params: unknown, defaultMax: number): number {
  const max = oneParam(params, 'max');
  if (max === undefined) return defaultMax;
  if (!MAX.test(max) || Number(max) < 1 || Number(max) > WEBEX_MAX_LIMIT) {
    throw new EmulatorHttpError(400, `max must be an integer from 1 to ${WEBEX_MAX_LIMIT}.`);
  }
  return Number(max);
}

/** The origin the client used, so next links work through whatever name it reached us by. */
function requestOrigin(req: Request, fallback: string): string {
  const host = req.headers.host;
  return host !== undefined && HOST.test(host) ? `http://${host}` : fallback;
}

/** The path the route was registered with, e.g. /v1/rooms, whatever spelling matched it. */
function routePath(req: Request): string {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  return `${req.baseUrl}${typeof path === 'string' ? path : req.path}`;
}

/**
 * A Webex list endpoint: `max` (1–1000), `{"items":[…]}`, and RFC 5988 paging by an opaque cursor
 * in `Link: <…?cursor=…>; rel="next"` on the route's own path, as long as items remain. A tampered
 * or foreign cursor is a 400. List paths are fixed (Webex filters by query, e.g. ?roomId=).
 */
export function pagedList<Q extends Json, T>(ctx: RouteContext, spec: PagedListSpec<Q, T>): RequestHandler {
  const cursors = new PageCursorCodec<{ max: number; query: Q }>();
  const json = spec.json ?? ((item: T) => JSON.stringify(item));
  const defaultMax = spec.defaultMax ?? WEBEX_DEFAULT_MAX;
  return (req, res) => {
    // Express 5 parses req.query again on every read.
    const params = req.query;
    const cursor = oneParam(params, 'cursor');
    // A next link carries every filter, so the other parameters are not read beside a cursor.
    const page =
      cursor === undefined
        ? { offset: 0, query: { max: readMax(params, defaultMax), query: spec.query(params) } }
        : cursors.decode(cursor);
    if (!page) throw new EmulatorHttpError(400, 'The cursor is not valid.');
    const { max, query } = page.query;
    const all = spec.items(query, callerOf(res));
    const items = all.slice(page.offset, page.offset + max);
    const nextOffset = page.offset + items.length;
    if (items.length > 0 && nextOffset < all.length) {
      const next = cursors.encode(page.query, nextOffset);
      res.set('Link', `<${requestOrigin(req, ctx.origin())}${routePath(req)}?cursor=${next}>; rel="next"`);
    }
    res.type('json').send(`{"items":[${items.map(json).join(',')}]}`);
  };
}

/**
 * A Webex `GET /v1/…/{id}` endpoint: `find` gets the route's parameters (e.g. `{ roomId }`) and the
 * caller; undefined answers Webex's 404, as Webex does for an id the caller cannot see.
 */
export function singleItem<T>(
  find: (params: Record<string, string>, caller: SeedUser) => T | undefined,
  json: (item: T) => string = (item) => JSON.stringify(item),
): RequestHandler {
  return (req, res) => {
    const item = find(req.params as Record<string, string>, callerOf(res));
    if (item === undefined) throw new EmulatorHttpError(404, NOT_FOUND_MESSAGE);
    res.type('json').send(json(item));
  };
}
