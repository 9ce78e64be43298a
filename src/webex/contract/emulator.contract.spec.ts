import { SEED_USER_HANDLES, type WebexEmulator } from '../../sandbox';
import { CLIENT, nextLink, startTestEmulator } from '../../sandbox/sandbox.test-helpers';
import type { WebexCall } from '../webex-call';
import { webexCalls } from '../webex.calls';
import { WebexContract } from './webex-contract';

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
 */
describe('Webex emulator answers, against the OpenAPI contract', () => {
  const contract = WebexContract.load();
  let emulator: WebexEmulator;
  const tokens = new Map<string, string>();

  beforeAll(async () => {
    emulator = await startTestEmulator();
    for (const handle of SEED_USER_HANDLES) {
      tokens.set(handle, emulator.controls.issueTokens(handle, CLIENT.clientId).access_token);
    }
  });
  afterAll(() => emulator.close());

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

  it.each(SEED_USER_HANDLES)('GET /v1/people/me for %s', async (handle) => {
    await getChecked(`${emulator.apiBaseUrl}/people/me`, handle, webexCalls.me);
  });

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
