import { type Request, type RequestHandler, type Response, Router } from 'express';
import type { Grant } from './emulator-state';
import { routeFront, type RouteContext } from './route-context';
import { RoomsCursorCodec, type RoomsQuery } from './rooms-cursor';
import { findSeedUser, listRooms, roomJson, type SeedUser } from './seed-data';
import { EmulatorHttpError, oneParam, sendError } from './webex-responses';

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
const MAX_TEAM_ID_CHARS = 1024;

/** Bearer-token check, as Webex does it: 401 for any token it cannot use, 403 for a missing scope. */
function requireScope(ctx: RouteContext, scope: string): RequestHandler {
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

function userOf(res: Response): SeedUser {
  const user = findSeedUser((res.locals.grant as Grant).handle);
  if (!user) throw new Error('A token was issued to a user the seed does not have.');
  return user;
}

function readRoomsQuery(query: unknown): RoomsQuery {
  const max = oneParam(query, 'max');
  const type = oneParam(query, 'type');
  const sortBy = oneParam(query, 'sortBy');
  const teamId = oneParam(query, 'teamId');
  if (max !== undefined && (!/^\d{1,4}$/.test(max) || Number(max) < 1 || Number(max) > 1000)) {
    throw new EmulatorHttpError(400, 'max must be an integer from 1 to 1000.');
  }
  if (type !== undefined && type !== 'direct' && type !== 'group') {
    throw new EmulatorHttpError(400, 'type must be direct or group.');
  }
  if (sortBy !== undefined && sortBy !== 'id' && sortBy !== 'lastactivity' && sortBy !== 'created') {
    throw new EmulatorHttpError(400, 'sortBy must be id, lastactivity or created.');
  }
  if (teamId !== undefined && (teamId === '' || teamId.length > MAX_TEAM_ID_CHARS)) {
    throw new EmulatorHttpError(400, 'teamId is not valid.');
  }
  return {
    offset: 0,
    max: max === undefined ? 100 : Number(max),
    // Webex documents no default order; by id is stable and unlike either timestamp order.
    sortBy: sortBy ?? 'id',
    type,
    teamId,
  };
}

/** The origin the client used, so next links work through whatever name it reached us by. */
function requestOrigin(req: Request, fallback: string): string {
  const host = req.headers.host;
  return host !== undefined && HOST.test(host) ? `http://${host}` : fallback;
}

function getRooms(ctx: RouteContext, cursors: RoomsCursorCodec) {
  return (req: Request, res: Response): void => {
    const params = req.query;
    const cursor = oneParam(params, 'cursor');
    // A next link carries every filter, so the other parameters are not read beside a cursor.
    const query = cursor === undefined ? readRoomsQuery(params) : cursors.decode(cursor);
    if (!query) throw new EmulatorHttpError(400, 'The cursor is not valid.');
    const rooms = listRooms(userOf(res), query.sortBy, query.type, query.teamId);
    const items = rooms.slice(query.offset, query.offset + query.max);
    const nextOffset = query.offset + items.length;
    if (items.length > 0 && nextOffset < rooms.length) {
      const next = cursors.encode({ ...query, offset: nextOffset });
      res.set('Link', `<${requestOrigin(req, ctx.origin())}/v1/rooms?cursor=${next}>; rel="next"`);
    }
    res.type('json').send(`{"items":[${items.map(roomJson).join(',')}]}`);
  };
}

/** /v1/people/me and /v1/rooms. */
export function apiRoutes(ctx: RouteContext): Router {
  const router = Router();
  router.get(
    '/v1/people/me',
    ...routeFront(ctx, 'people/me', 'rest'),
    requireScope(ctx, 'spark:people_read'),
    (_req, res) => {
      res.json(userOf(res).person);
    },
  );
  router.get(
    '/v1/rooms',
    ...routeFront(ctx, 'rooms', 'rest'),
    requireScope(ctx, 'spark:rooms_read'),
    getRooms(ctx, new RoomsCursorCodec()),
  );
  return router;
}
