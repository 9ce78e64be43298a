import { SEED_USER_HANDLES, startWebexEmulator, type WebexEmulator } from '../sandbox';
import type { ObservedRequest } from '../sandbox/emulator.types';
import { nextLink } from '../sandbox/sandbox.test-helpers';
import { WebexContract } from './contract';
import { WebexApiService } from './webex-api.service';
import { WEBEX_CALL_SCOPES, webexCalls } from './webex.calls';
import { SPEC_REDIRECT_URI, webexServiceFor } from './webex.test-helpers';

const CLIENT = { clientId: 'contract-client', clientSecret: 'contract-secret-value' };
const REDIRECT_URI = SPEC_REDIRECT_URI;
/** Webex's OpenAPI description does not cover OAuth; shared/webex-platform.md holds what is known of it. */
const OAUTH_PATHS = new Set(['/v1/authorize', '/v1/access_token']);
/** Every scope a declared call needs (spark:memberships_read included), granted to the test integration. */
const SCOPES = [...WEBEX_CALL_SCOPES];

/**
 * Every request the service sends to the Webex API, as the emulator received it, must be an
 * operation in Webex's OpenAPI description, with only the query parameters that operation
 * declares and values its schemas allow (e.g. max 1-1000).
 *
 * Next-page requests are the exception: the service follows a Link as given (Webex says the URL is
 * opaque), so what it carries (the emulator's `cursor`, which the document does not declare) is
 * Webex's choice, not the service's. Such a request passes when its URL is exactly one the emulator
 * sent in a Link before, and it is still an operation in the document.
 */
function contractProblems(contract: WebexContract, observed: readonly ObservedRequest[]): string[] {
  const linked = new Set<string>();
  const problems: string[] = [];
  for (const request of observed.filter((r) => !OAUTH_PATHS.has(r.path))) {
    const target = request.query ? `${request.path}?${request.query}` : request.path;
    if (!linked.has(target)) {
      problems.push(...contract.requestProblems(request.method, target));
    } else if (!contract.operationFor(request.method, target)) {
      problems.push(`${request.method} ${target}: a followed link to no operation in the document`);
    }
    const next = request.link && /<([^>]+)>;\s*rel="next"/.exec(request.link)?.[1];
    if (next) linked.add(`${new URL(next).pathname}${new URL(next).search}`);
  }
  return problems;
}

describe(`${WebexApiService.name} requests, against the OpenAPI contract`, () => {
  const contract = WebexContract.load();
  const savedEnv = { ...process.env };
  let emulator: WebexEmulator;
  let observed: ObservedRequest[] = [];
  let close: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    emulator = await startWebexEmulator({
      clients: [{ ...CLIENT, redirectUris: [REDIRECT_URI], scopes: SCOPES }],
      onRequest: (request) => observed.push(request),
    });
  });
  afterAll(() => emulator.close());
  beforeEach(() => {
    observed = [];
  });
  afterEach(async () => {
    await close?.();
    close = undefined;
    process.env = { ...savedEnv };
  });

  async function make(env: Record<string, string> = {}): Promise<WebexApiService> {
    const made = await webexServiceFor(emulator.apiBaseUrl, { ...CLIENT, scopes: SCOPES }, env, savedEnv);
    close = made.close;
    return made.service;
  }

  const tokenFor = (handle: string) => emulator.controls.issueTokens(handle, CLIENT.clientId).access_token;
  /** The API requests, each answered 200: a refused request would prove nothing about the next one. */
  function apiRequests(): ObservedRequest[] {
    const api = observed.filter((r) => !OAUTH_PATHS.has(r.path));
    expect(api.map((r) => r.status)).toEqual(api.map(() => 200));
    return api;
  }

  it('asks for the signed-in person as the document says, for every seeded user', async () => {
    const service = await make();
    for (const handle of SEED_USER_HANDLES) await service.get(webexCalls.me, tokenFor(handle));
    expect(apiRequests().map((r) => r.path)).toEqual(SEED_USER_HANDLES.map(() => '/v1/people/me'));
    expect(contractProblems(contract, observed)).toEqual([]);
  });

  it.each<[string, Record<string, string>]>([
    ['the default page size and cap', {}],
    ['pages of one room, up to 40', { WEBEX_PAGE_SIZE: '1', WEBEX_LIST_LIMIT: '40' }],
    ['pages of 100 and no practical cap', { WEBEX_PAGE_SIZE: '100', WEBEX_LIST_LIMIT: '100000' }],
    ['a cap below the page size', { WEBEX_LIST_LIMIT: '5' }],
  ])('lists rooms as the document says, with %s, for every seeded user', async (_label, env) => {
    const service = await make(env);
    const pages = new Map<string, number>();
    for (const handle of SEED_USER_HANDLES) {
      const before = observed.length;
      await service.list(webexCalls.rooms, tokenFor(handle), { query: { sortBy: 'lastactivity' } });
      pages.set(handle, observed.length - before);
    }
    expect(apiRequests().every((r) => r.path === '/v1/rooms')).toBe(true);
    // Carol's 2,600 rooms take more than one page in every case but the cap of 5.
    if (env.WEBEX_LIST_LIMIT !== '5') expect(pages.get('carol')).toBeGreaterThan(1);
    expect(contractProblems(contract, observed)).toEqual([]);
  });

  /**
   * The user's rooms, from the emulator directly (whatever page size the service is given); carol's,
   * one in 100. Only the requests after this are the service's.
   */
  async function roomsOf(handle: string): Promise<{ id: string; title: string }[]> {
    const rooms: { id: string; title: string }[] = [];
    let url: string | undefined = `${emulator.apiBaseUrl}/rooms?max=1000`;
    while (url) {
      const res = await fetch(url, { headers: { authorization: `Bearer ${tokenFor(handle)}` } });
      rooms.push(...((await res.json()) as { items: { id: string; title: string }[] }).items);
      url = nextLink(res);
    }
    observed = [];
    return handle === 'carol' ? rooms.filter((_, i) => i % 100 === 0) : rooms;
  }

  it('asks for one room as the document says, for every room of every seeded user (carol: a sample)', async () => {
    const service = await make();
    let asked = 0;
    for (const handle of SEED_USER_HANDLES) {
      const token = tokenFor(handle);
      const rooms = await roomsOf(handle);
      for (const room of rooms) {
        const answer = await service.get(webexCalls.room, token, { params: { roomId: room.id } });
        expect(answer.id).toBe(room.id);
      }
      const requests = apiRequests();
      expect(requests.map((r) => r.path)).toEqual(rooms.map((room) => `/v1/rooms/${encodeURIComponent(room.id)}`));
      expect(requests.map((r) => contract.operationFor(r.method, r.path)?.path)).toEqual(
        rooms.map(() => '/rooms/{roomId}'),
      );
      expect(contractProblems(contract, observed)).toEqual([]);
      asked += rooms.length;
    }
    expect(asked).toBeGreaterThan(30);
  });

  it.each<[string, Record<string, string>, number]>([
    ['the default page size and cap', {}, 1200],
    ['pages of 50 people', { WEBEX_PAGE_SIZE: '50' }, 1200],
    ['pages of 100 and a cap of 1,000', { WEBEX_PAGE_SIZE: '100', WEBEX_LIST_LIMIT: '1000' }, 1000],
    ['pages of 2 people, up to 40', { WEBEX_PAGE_SIZE: '2', WEBEX_LIST_LIMIT: '40' }, 40],
  ])(
    'lists the people of every room as the document says, with %s, for every seeded user',
    async (_label, env, crowdListed) => {
      const service = await make(env);
      const crowd = { listed: 0, pages: 0 };
      for (const handle of SEED_USER_HANDLES) {
        const token = tokenFor(handle);
        const rooms = await roomsOf(handle);
        for (const room of rooms) {
          const before = observed.length;
          const { items } = await service.list(webexCalls.memberships, token, { query: { roomId: room.id } });
          expect(items.length).toBeGreaterThan(0);
          if (room.title === 'Sandbox Team Standup') {
            crowd.listed = items.length;
            crowd.pages = observed.length - before;
          }
        }
        const requests = apiRequests();
        expect(requests.every((r) => r.path === '/v1/memberships')).toBe(true);
        expect(contractProblems(contract, observed)).toEqual([]);
        // Each room's first request names it; the pages after it follow the emulator's links.
        const named = requests.map((r) => new URLSearchParams(r.query).get('roomId')).filter((id) => id !== null);
        expect(named).toEqual(rooms.map((room) => room.id));
      }
      // The 1,200-person space takes more than one page whatever the page size.
      expect(crowd.listed).toBe(crowdListed);
      expect(crowd.pages).toBeGreaterThan(1);
    },
  );

  it('would notice a request outside the contract, and a made-up next page', () => {
    const request = (path: string, query: string, link?: string): ObservedRequest => ({
      method: 'GET',
      path,
      query,
      status: 200,
      link,
    });
    const next = `${emulator.apiBaseUrl}/rooms?cursor=abc`;
    expect(
      contractProblems(contract, [
        request('/v1/rooms', 'max=0'),
        request('/v1/rooms', 'max=1001&sortBy=lastactivity'),
        request('/v1/rooms', 'max=100', `<${next}>; rel="next"`),
        request('/v1/rooms', 'cursor=abc'),
        request('/v1/rooms', 'cursor=made-up'),
        request('/v1/rooms/', ''),
        request('/v1/people/me', 'callingData=1'),
        request('/v1/rooms/a%2Fb/extra', ''),
        request('/v1/memberships', 'room=abc&max=2'),
        request('/v1/memberships', 'roomId=abc&max=ten'),
        request('/v1/access_token', ''),
      ]),
    ).toEqual([
      'GET /rooms: query/max must be >= 1',
      'GET /rooms: query/max must be <= 1000',
      'GET /rooms: query must NOT have additional properties: cursor',
      'GET /rooms/: no such operation in the document',
      'GET /people/me: query/callingData must be boolean',
      'GET /rooms/a%2Fb/extra: no such operation in the document',
      'GET /memberships: query must NOT have additional properties: room',
      'GET /memberships: query/max must be number',
    ]);
  });
});
