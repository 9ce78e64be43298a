/*
 * How to add a Webex REST endpoint to the emulator: its seed data and one route, nothing else.
 *
 * 1. seed-data.ts: the items, derived from the seeded users (ids from webexId(), so they are the
 *    same on every run), their Webex type as the OpenAPI description has it, and a function that
 *    lists (or finds) them for a user. Read Webex's docs, not the service's code.
 * 2. Here, one route in apiRoutes():
 *      router.get('/v1/things', ...routeFront(ctx, 'things', 'rest'), requireScope(ctx, 'spark:things_read'), handler)
 *    - 'things' is the route's name for faults, latency, stats and /_emulator/*: routeFront
 *      registers it, and stats list it from then on (0 until hit);
 *    - requireScope is the one place the scope is stated: 401/403 as Webex answers them, and the
 *      emulator's `scopes` include it;
 *    - for a list, handler = pagedList(ctx, { query, items }): `query` reads the list's own
 *      parameters from req.query (enumParam, idParam, oneParam; a bad one throws
 *      EmulatorHttpError(400)) into a JSON-safe object, `items` lists them for the caller. max,
 *      the signed cursor, the Link next header and {"items":[…]} come with it;
 *    - for `/v1/things/{thingId}`, register '/v1/things/:thingId' with
 *      handler = singleItem(({ thingId }, caller) => find…): undefined answers Webex's 404.
 * The contract spec (src/webex/contract/emulator.contract.spec.ts) checks the answers against
 * Webex's OpenAPI description.
 */
import { Router } from 'express';
import { callerOf, enumParam, idParam, pagedList, requireScope, singleItem } from './api-handlers';
import { routeFront, type RouteContext } from './route-context';
import { findRoom, listMemberships, listRooms, listTeams, roomJson, type RoomSort, type RoomType } from './seed-data';

const ROOM_TYPES: readonly RoomType[] = ['direct', 'group'];
const ROOM_SORTS: readonly RoomSort[] = ['id', 'lastactivity', 'created'];

/** GET /v1/rooms's filters. A type alias, not an interface: it must be assignable to Json. */
type RoomsQuery = { sortBy: RoomSort; type?: RoomType; teamId?: string };

function readRoomsQuery(params: unknown): RoomsQuery {
  const type = enumParam(params, 'type', ROOM_TYPES);
  const sortBy = enumParam(params, 'sortBy', ROOM_SORTS);
  const teamId = idParam(params, 'teamId');
  // Webex documents no default order; by id is stable and unlike either timestamp order.
  return { sortBy: sortBy ?? 'id', type, teamId };
}

/** GET /v1/memberships's filters. */
type MembershipsQuery = { roomId?: string; personId?: string; personEmail?: string };

/** The Webex REST API: /v1/people/me, /v1/rooms, /v1/rooms/{roomId}, /v1/memberships and /v1/teams. */
export function apiRoutes(ctx: RouteContext): Router {
  const router = Router();
  router.get(
    '/v1/people/me',
    ...routeFront(ctx, 'people/me', 'rest'),
    requireScope(ctx, 'spark:people_read'),
    (_req, res) => {
      res.json(callerOf(res).person);
    },
  );
  router.get(
    '/v1/rooms',
    ...routeFront(ctx, 'rooms', 'rest'),
    requireScope(ctx, 'spark:rooms_read'),
    pagedList(ctx, {
      query: readRoomsQuery,
      items: (query, caller) => listRooms(caller, query.sortBy, query.type, query.teamId),
      json: roomJson,
    }),
  );
  router.get(
    '/v1/rooms/:roomId',
    ...routeFront(ctx, 'rooms/{roomId}', 'rest'),
    requireScope(ctx, 'spark:rooms_read'),
    singleItem(({ roomId }, caller) => findRoom(caller, roomId), roomJson),
  );
  router.get(
    '/v1/memberships',
    ...routeFront(ctx, 'memberships', 'rest'),
    requireScope(ctx, 'spark:memberships_read'),
    pagedList(ctx, {
      query: (params): MembershipsQuery => ({
        roomId: idParam(params, 'roomId'),
        personId: idParam(params, 'personId'),
        personEmail: idParam(params, 'personEmail'),
      }),
      items: (query, caller) => listMemberships(caller, query),
    }),
  );
  router.get(
    '/v1/teams',
    ...routeFront(ctx, 'teams', 'rest'),
    requireScope(ctx, 'spark:teams_read'),
    pagedList(ctx, { query: () => ({}), items: (_query, caller) => listTeams(caller) }),
  );
  return router;
}
