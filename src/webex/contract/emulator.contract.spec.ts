import type { Express } from 'express';
import { SEED_USER_HANDLES, type WebexEmulator } from '../../sandbox';
import * as emulatorApp from '../../sandbox/emulator-app';
import { CLIENT, nextLink, startTestEmulator } from '../../sandbox/sandbox.test-helpers';
import type { WebexCall } from '../webex-call';
import { webexCalls } from '../webex.calls';
import type { ParameterObject } from './openapi.types';
import { WEBEX_API_BASE_PATH, WebexContract, type ContractOperation } from './webex-contract';

/**
 * What the service reads from an answer, as its declaration says (webex.calls.ts). Webex's
 * document marks no field as required, so this is where "a person has an id" is checked.
 */
function declarationProblems(call: WebexCall, body: unknown): string[] {
  const values = call.kind === 'list' ? ((body as { items?: unknown[] }).items ?? []) : [body];
  const schema = call.kind === 'list' ? call.item : call.answer;
  return values.flatMap((value, index) => {
    const parsed = schema.safeParse(value);
    return parsed.success
      ? []
      : parsed.error.issues.map((issue) => `[${index}] ${issue.path.join('.')}: ${issue.message}`);
  });
}

/** One method and path the emulator's app answers, as Express has it: GET /v1/rooms/:roomId. */
interface ServedRoute {
  method: string;
  path: string;
}

/** The parts of Express's router read here: a route's path and methods, or a mounted router's stack. */
interface RouterLayer {
  rawPath?: unknown;
  route?: { path: unknown; methods: Record<string, boolean | undefined> };
  handle?: { stack?: RouterLayer[] };
}

/** Every route of the app's routers, with the path it is mounted at, in the order they were added. */
function servedRoutes(stack: readonly RouterLayer[], mount = ''): ServedRoute[] {
  return stack.flatMap((layer) => {
    if (layer.route) {
      const path = `${mount}${String(layer.route.path)}`;
      return Object.keys(layer.route.methods)
        .filter((method) => method !== '_all')
        .map((method) => ({ method: method.toUpperCase(), path }));
    }
    const inner = layer.handle?.stack;
    if (!Array.isArray(inner)) return [];
    return servedRoutes(inner, layer.rawPath === '/' ? mount : `${mount}${String(layer.rawPath)}`);
  });
}

/** An emulator route that is an operation in Webex's document. */
interface ContractRoute {
  label: string;
  operation: ContractOperation;
}

/** How many ids a path parameter is tried with, per user; and an optional filter. */
const SAMPLE = 5;
const FILTER_SAMPLE = 2;
/** A list that has not ended by then is not following its links to an end. */
const MAX_PAGES = 100;

/** `n` of the values, spread from first to last. */
function spread<T>(values: readonly T[], n: number): T[] {
  if (values.length <= n) return [...values];
  return Array.from({ length: n }, (_, i) => values[Math.floor((i * values.length) / n)]);
}

/** The paths that list what a parameter names: /rooms for roomId, as /rooms/{roomId} says. */
function listsNaming(name: string, templates: readonly string[]): string[] {
  return templates.filter((t) => t.endsWith(`/{${name}}`)).map((t) => t.slice(0, t.lastIndexOf('/')));
}

/** What one user's answers gave: ids by the field that held them, and the ids of the items each list listed. */
class Found {
  private readonly byField = new Map<string, Set<string>>();
  private readonly byList = new Map<string, Set<string>>();

  take(path: string, body: unknown): void {
    const items = (body as { items?: unknown }).items;
    const list = Array.isArray(items);
    for (const item of list ? (items as unknown[]) : [body]) {
      if (typeof item !== 'object' || item === null) continue;
      for (const [field, value] of Object.entries(item)) {
        if (typeof value !== 'string') continue;
        if (field === 'id' && list) Found.add(this.byList, path, value);
        else if (/.Id$/.test(field)) Found.add(this.byField, field, value);
      }
    }
  }

  /** Ids the given lists listed, and (when `fields`) ids found in fields of that name. */
  values(name: string, lists: readonly string[], fields: boolean): string[] {
    const sets = [...lists.map((l) => this.byList.get(l)), fields ? this.byField.get(name) : undefined];
    return [...new Set(sets.flatMap((set) => [...(set ?? [])]))];
  }

  private static add(map: Map<string, Set<string>>, key: string, value: string): void {
    map.set(key, (map.get(key) ?? new Set()).add(value));
  }
}

/** The target of a request to the operation with these parameter values. */
function targetOf(operation: ContractOperation, args: Record<string, string>): string {
  let path = operation.path;
  const query = new URLSearchParams();
  for (const { name, in: where } of operation.parameters) {
    const value = args[name];
    if (value === undefined) continue;
    if (where === 'path') path = path.replace(`{${name}}`, encodeURIComponent(value));
    else if (where === 'query') query.set(name, value);
  }
  const search = query.toString();
  return `${WEBEX_API_BASE_PATH}${path}${search ? `?${search}` : ''}`;
}

/**
 * The requests that exercise an operation with what was found so far, or why there are none yet.
 * Path and required query parameters take ids found (a sample); then each optional query
 * parameter is tried alone: each value of an enum, or a few ids of what the emulator lists.
 */
function requestsFor(operation: ContractOperation, found: Found, templates: readonly string[]): string[] | string {
  if (operation.method !== 'get') return 'only GETs are exercised: nothing here makes a body to send';
  const needed = operation.parameters.filter((p) => p.in === 'path' || (p.in === 'query' && p.required));
  const values = new Map<string, string[]>();
  for (const { name, in: where } of needed) {
    const lists = listsNaming(name, where === 'path' ? [operation.path] : templates);
    const some = spread(found.values(name, lists, true), SAMPLE);
    if (some.length === 0) return `no ${name} found in the answers so far`;
    values.set(name, some);
  }
  const count = Math.max(1, ...[...values.values()].map((v) => v.length));
  const base = Array.from({ length: count }, (_, i) =>
    Object.fromEntries([...values].map(([name, some]) => [name, some[i % some.length]])),
  );
  const filters = operation.parameters
    .filter((p) => p.in === 'query' && !p.required)
    .flatMap((p: ParameterObject) => {
      const choices = Array.isArray(p.schema?.enum)
        ? p.schema.enum.map(String)
        : spread(found.values(p.name, listsNaming(p.name, templates), false), FILTER_SAMPLE);
      return choices.map((value) => ({ ...base[0], [p.name]: value }));
    });
  return [...base, ...filters].map((args) => targetOf(operation, args));
}

/** Enough variety to reach every branch of the list: default and extreme page sizes, both types, every order. */
const ROOM_QUERIES: Record<string, string>[] = [
  {},
  { max: '1' },
  { max: '1000' },
  { type: 'direct' },
  { type: 'group', sortBy: 'created' },
  { sortBy: 'lastactivity', max: '250' },
  { sortBy: 'id', type: 'direct', max: '7' },
];

/** Every user with every query, but carol's 2,600 pages of one (~10 s): max=7 gives her small pages. */
const ROOM_CASES = SEED_USER_HANDLES.flatMap((handle) =>
  ROOM_QUERIES.filter((query) => handle !== 'carol' || query.max !== '1').map((query) => [handle, query] as const),
);

/** Carol's 2,600 rooms, one in this many (26): her rooms are all alike, and a request each would be slow. */
const CAROL_ROOM_SAMPLE = 100;

/** The page sizes of GET /v1/memberships: Webex's default, the smallest and the largest. */
const MEMBERSHIP_QUERIES: Record<string, string>[] = [{}, { max: '1' }, { max: '1000' }];
/** max=1 only for rooms of at most this many people: the 1,200-person space would be 1,200 requests. */
const SMALL_ROOM = 10;
/** The seeded space of 1,200 people (alice's): more than a page of 1,000. */
const CROWDED_ROOM = { handle: 'alice', title: 'Sandbox Team Standup', members: 1_200 };

const MEMBERSHIP_CASES = SEED_USER_HANDLES.flatMap((handle) =>
  MEMBERSHIP_QUERIES.map((query) => [handle, query] as const),
);
/** The caller's own memberships (no roomId): carol's 2,600 at max=1 would be 2,600 requests. */
const OWN_MEMBERSHIP_CASES = MEMBERSHIP_CASES.filter(([handle, query]) => handle !== 'carol' || query.max !== '1');

/** A well-formed Webex room id (ciscospark://us/ROOM/not-a-room) of no seeded room. */
const NO_SUCH_ROOM = Buffer.from('ciscospark://us/ROOM/not-a-room').toString('base64').replace(/=+$/, '');

interface ListedRoom {
  id: string;
  title: string;
}
interface ListedMembership {
  id: string;
  roomId: string;
  personId: string;
}

/**
 * The emulator stands in for Webex, so every answer the service relies on must be one Webex's
 * OpenAPI description allows. (The emulator's own specs check what it answers; this checks the shape.)
 * The first two tests take the emulator's routes from its app, so a new route is checked without
 * being named here; the cases after them go deeper into the routes the service uses.
 */
describe('Webex emulator answers, against the OpenAPI contract', () => {
  const contract = WebexContract.load();
  let emulator: WebexEmulator;
  /** Every route the emulator's app serves, read from the app startWebexEmulator built. */
  let served: ServedRoute[];
  /** Those that are an operation in the document; the rest are skipped, by that rule alone. */
  let inContract: ContractRoute[];
  const tokens = new Map<string, string>();

  beforeAll(async () => {
    // The app startWebexEmulator builds (the spy lets the call through), for its routes.
    const build = jest.spyOn(emulatorApp, 'createEmulatorApp');
    try {
      // A first start says which scopes the routes check; the test client then has them all.
      const probe = await startTestEmulator();
      const scopes = probe.scopes;
      await probe.close();
      emulator = await startTestEmulator({ clients: [{ ...CLIENT, scopes: [...scopes] }], testControls: true });
      const app = build.mock.results.at(-1)?.value as Express;
      served = servedRoutes((app as unknown as { router: { stack: RouterLayer[] } }).router.stack);
    } finally {
      build.mockRestore();
    }
    inContract = served.flatMap(({ method, path }) => {
      const operation = contract.operationFor(method, path.replace(/:(\w+)/g, '{$1}'));
      return operation ? [{ label: `${method} ${path}`, operation }] : [];
    });
    for (const handle of SEED_USER_HANDLES) {
      tokens.set(handle, emulator.controls.issueTokens(handle, CLIENT.clientId).access_token);
    }
  });
  afterAll(() => emulator.close());

  it('skips, as no operation in the document, exactly the OAuth, Login with Webex and test-control routes', () => {
    const skipped = served
      .filter((route) => !inContract.some((r) => r.label === `${route.method} ${route.path}`))
      .map(({ method, path }) => (path.startsWith('/_emulator/') ? '/_emulator/*' : `${method} ${path}`));
    expect(new Set(skipped)).toEqual(
      new Set([
        'GET /v1/authorize',
        'POST /v1/authorize',
        'POST /v1/access_token',
        'GET /v1/.well-known/openid-configuration',
        'GET /v1/verification',
        'GET /v1/userinfo',
        '/_emulator/*',
      ]),
    );
    expect(inContract.length).toBeGreaterThan(0);
  });

  it('answers every route that is in the document, for every seeded user, as the document allows', async () => {
    const templates = inContract.map((r) => r.operation.path);
    const pages = new Map(inContract.map((r) => [r.label, 0]));
    const waiting = new Map<string, string>();
    const problems: string[] = [];
    /** Every page of the answer, each checked against the document and the service's declarations. */
    async function walk(route: ContractRoute, target: string, handle: string, found: Found): Promise<void> {
      problems.push(...contract.requestProblems(route.operation.method, target));
      const declared = Object.values(webexCalls).filter((call) => call.path === route.operation.path);
      let url: string | undefined = `${emulator.origin}${target}`;
      for (let page = 0; url && page < MAX_PAGES; page++) {
        const res = await fetch(url, { headers: { authorization: `Bearer ${tokens.get(handle)}` } });
        const contentType = res.headers.get('content-type');
        const text = await res.text();
        const body = /json/.test(contentType ?? '') ? (JSON.parse(text) as unknown) : text;
        if (res.status !== 200) {
          problems.push(`${handle} ${url}: ${res.status} ${text.slice(0, 200)}`);
          return;
        }
        pages.set(route.label, (pages.get(route.label) ?? 0) + 1);
        const answer = { status: res.status, contentType, body };
        problems.push(
          ...contract.answerProblems(route.operation.method, url, answer),
          ...declared.flatMap((call) => declarationProblems(call, body)),
        );
        found.take(route.operation.path, body);
        const next = nextLink(res);
        const where = (link: string) => `${new URL(link).origin}${new URL(link).pathname}`;
        if (next && where(next) !== where(url)) problems.push(`${url}: a next link to ${next}`);
        url = next;
      }
      if (url) problems.push(`${handle} ${target}: more than ${MAX_PAGES} pages`);
    }
    for (const handle of SEED_USER_HANDLES) {
      const found = new Found();
      let pending = inContract;
      // A route waits for the ids its parameters need until an answer (a list's, say) gives them.
      for (let progress = true; progress;) {
        progress = false;
        for (const route of pending) {
          const targets = requestsFor(route.operation, found, templates);
          if (typeof targets === 'string') {
            waiting.set(route.label, targets);
            continue;
          }
          pending = pending.filter((r) => r !== route);
          progress = true;
          for (const target of targets) await walk(route, target, handle, found);
        }
      }
    }
    const unexercised = [...pages].filter(([, n]) => n === 0).map(([label]) => `${label}: ${waiting.get(label)}`);
    expect({ problems: problems.slice(0, 20), count: problems.length, unexercised }).toEqual({
      problems: [],
      count: 0,
      unexercised: [],
    });
  });

  // Specific cases: every page size, every room, the counts, and the refusals.

  /** GET, expect a 200 the contract allows, and hand back the body and the answer. */
  async function getChecked(url: string, handle: string, call: WebexCall): Promise<{ body: unknown; res: Response }> {
    const res = await fetch(url, { headers: { authorization: `Bearer ${tokens.get(handle)}` } });
    const body = (await res.json()) as unknown;
    const answer = { status: res.status, contentType: res.headers.get('content-type'), body };
    expect({
      url,
      status: res.status,
      problems: contract.answerProblems('GET', url, answer),
      unreadable: declarationProblems(call, body),
    }).toEqual({ url, status: 200, problems: [], unreadable: [] });
    return { body, res };
  }

  /**
   * Every page of a list, each checked by getChecked, following Link rel="next". The first request
   * must be one the document takes; the links must stay on the list's own origin and path.
   */
  async function everyPage<T>(
    path: string,
    query: Record<string, string>,
    handle: string,
    call: WebexCall,
  ): Promise<T[]> {
    const max = Number(query.max ?? 100);
    let url: string | undefined = `${emulator.apiBaseUrl}${path}?${new URLSearchParams(query)}`;
    // The query itself must be one Webex would take, or the answer proves nothing.
    expect(contract.requestProblems('GET', url)).toEqual([]);
    const all: T[] = [];
    while (url) {
      const { body, res } = await getChecked(url, handle, call);
      const items = (body as { items: T[] }).items;
      expect(items.length).toBeLessThanOrEqual(max);
      all.push(...items);
      url = nextLink(res);
      if (url) {
        // Webex's next links are opaque, but the service follows them only on the API's own origin.
        const next = new URL(url);
        expect(`${next.origin}${next.pathname}`).toBe(`${emulator.origin}/v1${path}`);
      }
    }
    return all;
  }

  it.each(ROOM_CASES)('GET /v1/rooms for %s with %j, on every page', async (handle, query) => {
    const roomCount = emulator.users.find((u) => u.handle === handle)?.roomCount;
    const rooms = await everyPage('/rooms', query, handle, webexCalls.rooms);
    if (!query.type) expect(rooms).toHaveLength(roomCount ?? -1);
  });

  /** The user's rooms as GET /v1/rooms lists them (checked above); carol's, a sample. */
  async function roomsOf(handle: string, sample = true): Promise<ListedRoom[]> {
    const rooms = await everyPage<ListedRoom>('/rooms', { max: '1000' }, handle, webexCalls.rooms);
    return handle === 'carol' && sample ? rooms.filter((_, i) => i % CAROL_ROOM_SAMPLE === 0) : rooms;
  }

  const roomUrl = (roomId: string) => `${emulator.apiBaseUrl}/rooms/${encodeURIComponent(roomId)}`;

  /** GET, and what the contract says of the answer, whatever its status: for the refusals. */
  async function answerOf(url: string, handle: string): Promise<{ status: number; problems: string[] }> {
    const res = await fetch(url, { headers: { authorization: `Bearer ${tokens.get(handle)}` } });
    const contentType = res.headers.get('content-type');
    const text = await res.text();
    const body = /json/.test(contentType ?? '') ? (JSON.parse(text) as unknown) : text;
    return {
      status: res.status,
      problems: contract.answerProblems('GET', url, { status: res.status, contentType, body }),
    };
  }

  it.each(SEED_USER_HANDLES)('GET /v1/rooms/{roomId} for every room of %s', async (handle) => {
    const rooms = await roomsOf(handle);
    const roomCount = emulator.users.find((u) => u.handle === handle)?.roomCount ?? -1;
    expect(rooms).toHaveLength(handle === 'carol' ? Math.ceil(roomCount / CAROL_ROOM_SAMPLE) : roomCount);
    for (const room of rooms) {
      const { body } = await getChecked(roomUrl(room.id), handle, webexCalls.room);
      expect(body).toMatchObject({ id: room.id, title: room.title });
    }
  });

  it("GET /v1/rooms/{roomId} of an unknown room, or of another user's: 404, a status the document declares", async () => {
    const [aliceRoom] = await roomsOf('alice');
    const [malloryRoom] = await roomsOf('mallory');
    const cases = [
      ['alice', roomUrl(NO_SUCH_ROOM)],
      ['alice', roomUrl('not a room id')],
      ['alice', roomUrl(malloryRoom.id)],
      ['mallory', roomUrl(aliceRoom.id)],
      ['bob', roomUrl(aliceRoom.id)],
    ] as const;
    for (const [handle, url] of cases) {
      expect({ handle, url, ...(await answerOf(url, handle)) }).toEqual({ handle, url, status: 404, problems: [] });
    }
  });

  /** Everyone in a room, from pages of 1,000: what the other page sizes must add up to. Once per room. */
  const roomMembers = new Map<string, Promise<ListedMembership[]>>();
  function membersOf(handle: string, roomId: string): Promise<ListedMembership[]> {
    const key = `${handle} ${roomId}`;
    let members = roomMembers.get(key);
    if (!members) {
      members = everyPage<ListedMembership>('/memberships', { roomId, max: '1000' }, handle, webexCalls.memberships);
      roomMembers.set(key, members);
    }
    return members;
  }

  it.each(MEMBERSHIP_CASES)(
    'GET /v1/memberships?roomId= for every room of %s with %j, on every page',
    async (handle, query) => {
      const me = emulator.users.find((u) => u.handle === handle)?.id;
      let crowded = 0;
      for (const room of await roomsOf(handle)) {
        const expected = await membersOf(handle, room.id);
        if (query.max === '1' && expected.length > SMALL_ROOM) continue;
        const members = await everyPage<ListedMembership>(
          '/memberships',
          { roomId: room.id, ...query },
          handle,
          webexCalls.memberships,
        );
        expect(members.map((m) => m.id)).toEqual(expected.map((m) => m.id));
        expect(new Set(members.map((m) => m.id)).size).toBe(members.length);
        expect(members.filter((m) => m.roomId !== room.id)).toEqual([]);
        expect(members.filter((m) => m.personId === me)).toHaveLength(1);
        // More than a page of 1,000, so pages of 1,000 (and of 100) had to follow a next link.
        if (handle === CROWDED_ROOM.handle && room.title === CROWDED_ROOM.title) {
          expect(members).toHaveLength(CROWDED_ROOM.members);
          crowded++;
        }
      }
      expect(crowded).toBe(handle === CROWDED_ROOM.handle && query.max !== '1' ? 1 : 0);
    },
  );

  it.each(OWN_MEMBERSHIP_CASES)(
    "GET /v1/memberships without roomId (the caller's own) for %s with %j, on every page",
    async (handle, query) => {
      const me = emulator.users.find((u) => u.handle === handle)?.id;
      const rooms = await roomsOf(handle, false);
      const memberships = await everyPage<ListedMembership>('/memberships', query, handle, webexCalls.memberships);
      expect(memberships.filter((m) => m.personId !== me)).toEqual([]);
      expect(memberships.map((m) => m.roomId).sort()).toEqual(rooms.map((r) => r.id).sort());
    },
  );

  it('GET /v1/memberships of a room the caller is not in: an answer the document allows', async () => {
    const [aliceRoom] = await roomsOf('alice');
    for (const roomId of [aliceRoom.id, NO_SUCH_ROOM]) {
      const url = `${emulator.apiBaseUrl}/memberships?${new URLSearchParams({ roomId })}`;
      expect(contract.requestProblems('GET', url)).toEqual([]);
      const { status, problems } = await answerOf(url, 'mallory');
      expect({ roomId, problems }).toEqual({ roomId, problems: [] });
      expect([200, 404]).toContain(status);
    }
  });
});
