import { request as httpRequest } from 'node:http';
import type { IssuedTokens, WebexEmulator } from './emulator.types';
import { CLIENT, callApi, get, nextLink, startTestEmulator } from './sandbox.test-helpers';

interface Room {
  id: string;
  title: string;
  type: 'direct' | 'group';
  teamId?: string;
  lastActivity: string;
  created: string;
}

const ROOM_KEYS = [
  'id',
  'title',
  'type',
  'isLocked',
  'lastActivity',
  'creatorId',
  'created',
  'ownerId',
  'isPublic',
  'isReadOnly',
];

async function webexError(res: Response, status: number): Promise<string> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
  const body = (await res.json()) as { message: string; errors: { description: string }[]; trackingId: string };
  expect(body).toEqual({
    message: expect.any(String),
    errors: [{ description: expect.any(String) }],
    trackingId: res.headers.get('trackingid'),
  });
  return body.message;
}

/** Follows next links from a first URL; returns every page's items. */
async function allPages(token: IssuedTokens, firstPath: string, emulator: WebexEmulator): Promise<Room[][]> {
  const pages: Room[][] = [];
  let url: string | undefined = `${emulator.apiBaseUrl}${firstPath}`;
  while (url) {
    const res = await get(url, { authorization: `Bearer ${token.access_token}` });
    expect(res.status).toBe(200);
    pages.push(((await res.json()) as { items: Room[] }).items);
    url = nextLink(res);
    if (pages.length > 100) throw new Error('next links do not end');
  }
  return pages;
}

describe('API routes', () => {
  let emulator: WebexEmulator;
  let alice: IssuedTokens;
  let carol: IssuedTokens;

  beforeAll(async () => {
    emulator = await startTestEmulator();
    alice = emulator.controls.issueTokens('alice', CLIENT.clientId);
    carol = emulator.controls.issueTokens('carol', CLIENT.clientId);
  });
  afterAll(() => emulator.close());

  describe('GET /v1/people/me', () => {
    it("returns the token owner's Person", async () => {
      const res = await callApi(emulator, '/people/me', alice);

      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(await res.json()).toEqual({
        id: emulator.users[0].id,
        emails: ['alice@example.com'],
        phoneNumbers: [],
        displayName: 'Alice Sandbox',
        nickName: 'Alice',
        firstName: 'Alice',
        lastName: 'Sandbox',
        avatar: expect.stringMatching(/^https:\/\//),
        orgId: expect.any(String),
        created: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        lastActivity: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        status: 'active',
        type: 'person',
      });
    });

    it('returns user-controlled text as it is: escaping is the client’s job', async () => {
      const mallory = emulator.controls.issueTokens('mallory', CLIENT.clientId);
      const me = (await (await callApi(emulator, '/people/me', mallory)).json()) as { displayName: string };

      expect(me.displayName).toBe(`<img src=x onerror=alert(1)> Mallory & "Friends" 'Quoted'`);
    });

    it.each([
      ['no Authorization header', undefined],
      ['another scheme', 'Basic YWxpY2U6c2VjcmV0'],
      ['an empty Bearer', 'Bearer '],
      ['an unknown token', 'Bearer bm90LWEtdG9rZW4'],
      ['a token with odd characters', 'Bearer ä<script>'],
    ])('answers %s with 401', async (_case, authorization) => {
      const res = await get(`${emulator.apiBaseUrl}/people/me`, authorization === undefined ? {} : { authorization });

      await webexError(res, 401);
    });

    it('answers 401 once the access token has expired', async () => {
      const tokens = emulator.controls.issueTokens('bob', CLIENT.clientId);
      expect((await callApi(emulator, '/people/me', tokens)).status).toBe(200);

      expect(emulator.controls.expireAccessTokens({ handle: 'bob' })).toBe(1);
      await webexError(await callApi(emulator, '/people/me', tokens), 401);
    });

    it('answers 401 for a token born expired', async () => {
      emulator.controls.setTokenLifetimes({ accessTokenSeconds: 0 });
      const tokens = emulator.controls.issueTokens('bob', CLIENT.clientId);
      emulator.controls.reset();

      expect(tokens.expires_in).toBe(0);
      await webexError(await callApi(emulator, '/people/me', tokens), 401);
    });

    it('answers 401 once the token is revoked', async () => {
      const tokens = emulator.controls.issueTokens('bob', CLIENT.clientId);
      emulator.controls.revokeTokens({ handle: 'bob' });

      await webexError(await callApi(emulator, '/people/me', tokens), 401);
    });

    it('answers 403 when the token lacks spark:people_read', async () => {
      const roomsOnly = emulator.controls.issueTokens('alice', CLIENT.clientId, ['spark:rooms_read']);

      expect(await webexError(await callApi(emulator, '/people/me', roomsOnly), 403)).toContain('spark:people_read');
      expect((await callApi(emulator, '/rooms', roomsOnly)).status).toBe(200);
    });
  });

  describe('GET /v1/rooms', () => {
    it("lists alice's 7 rooms in one page, without a next link", async () => {
      const res = await callApi(emulator, '/rooms', alice);
      const { items } = (await res.json()) as { items: Room[] };

      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(res.headers.get('link')).toBeNull();
      expect(items).toHaveLength(7);
      expect(new Set(items.map((r) => r.type))).toEqual(new Set(['direct', 'group']));
      expect(new Set(items.map((r) => r.lastActivity)).size).toBe(7);
      expect(
        items
          .filter((r) => r.type === 'direct')
          .map((r) => r.title)
          .sort(),
      ).toEqual(['Dave Example', 'Erin Example']);
      for (const room of items) {
        expect(
          Object.keys(room)
            .filter((key) => key !== 'teamId')
            .sort(),
        ).toEqual([...ROOM_KEYS].sort());
        expect(Buffer.from(room.id, 'base64').toString()).toMatch(/^ciscospark:\/\/us\/ROOM\/[0-9a-f-]{36}$/);
      }
    });

    it('lists no rooms for bob', async () => {
      const bob = emulator.controls.issueTokens('bob', CLIENT.clientId);
      const res = await callApi(emulator, '/rooms', bob);

      expect(await res.json()).toEqual({ items: [] });
      expect(res.headers.get('link')).toBeNull();
    });

    it("keeps mallory's titles as they are", async () => {
      const mallory = emulator.controls.issueTokens('mallory', CLIENT.clientId);
      const { items } = (await (await callApi(emulator, '/rooms', mallory)).json()) as { items: Room[] };

      expect(items.map((r) => r.title).sort()).toEqual(
        [
          '"Double" and \'single\' quotes',
          '<img src=x onerror=alert(1)>',
          '<script>alert(1)</script>',
          'Tom & Jerry',
        ].sort(),
      );
    });

    const orders: Record<string, (a: Room, b: Room) => number> = {
      id: (a, b) => (a.id < b.id ? -1 : 1),
      lastactivity: (a, b) => (a.lastActivity < b.lastActivity ? 1 : -1),
      created: (a, b) => (a.created < b.created ? 1 : -1),
    };

    it.each([
      ['id', undefined],
      ['lastactivity', undefined],
      ['created', undefined],
      ['lastactivity', 'group'],
      ['created', 'direct'],
      ['id', 'group'],
    ])('pages by 2 with sortBy=%s and type=%s through next links, keeping both', async (sortBy, type) => {
      const all = ((await (await callApi(emulator, '/rooms?max=1000', alice)).json()) as { items: Room[] }).items;
      const expected = all.filter((r) => !type || r.type === type).sort(orders[sortBy]);

      const pages = await allPages(alice, `/rooms?max=2&sortBy=${sortBy}${type ? `&type=${type}` : ''}`, emulator);

      expect(pages.map((p) => p.length)).toEqual(
        Array.from({ length: Math.ceil(expected.length / 2) }, (_, i) => Math.min(2, expected.length - i * 2)),
      );
      expect(pages.flat().map((r) => r.id)).toEqual(expected.map((r) => r.id));
    });

    it('puts the origin the client used into next links', async () => {
      const link = await new Promise<string | undefined>((resolve, reject) => {
        const req = httpRequest(
          `${emulator.apiBaseUrl}/rooms?max=3`,
          { headers: { host: 'webex.sandbox.test:4321', authorization: `Bearer ${alice.access_token}` } },
          (res) => {
            res.resume();
            const link = res.headers.link;
            resolve(Array.isArray(link) ? link.join(', ') : link);
          },
        );
        req.on('error', reject);
        req.end();
      });

      expect(link).toMatch(/^<http:\/\/webex\.sandbox\.test:4321\/v1\/rooms\?cursor=[A-Za-z0-9_-]+>; rel="next"$/);
    });

    it("reaches all 2,600 of carol's rooms, newest activity first, in pages of 1000", async () => {
      const pages = await allPages(carol, '/rooms?max=1000&sortBy=lastactivity', emulator);
      const rooms = pages.flat();

      expect(pages.map((p) => p.length)).toEqual([1000, 1000, 600]);
      expect(new Set(rooms.map((r) => r.id)).size).toBe(2600);
      expect(rooms.every((r, i) => i === 0 || rooms[i - 1].lastActivity > r.lastActivity)).toBe(true);
      expect(rooms.find((r) => r.title.startsWith('Project 0001'))).toBeDefined();
    });

    it("reaches carol's rooms in 26 default-sized pages", async () => {
      const pages = await allPages(carol, '/rooms', emulator);

      expect(pages).toHaveLength(26);
      expect(new Set(pages.flat().map((r) => r.id)).size).toBe(2600);
    });

    it('filters by teamId and keeps the filter on the next page', async () => {
      const all = ((await (await callApi(emulator, '/rooms', alice)).json()) as { items: Room[] }).items;
      const teamId = all.find((r) => r.teamId)?.teamId ?? '';
      const pages = await allPages(alice, `/rooms?max=1&teamId=${encodeURIComponent(teamId)}`, emulator);

      expect(pages.flat().length).toBe(all.filter((r) => r.teamId === teamId).length);
      expect(pages.flat().every((r) => r.teamId === teamId)).toBe(true);
      expect(pages.length).toBeGreaterThan(1);
    });

    it('ignores unknown parameters', async () => {
      expect((await callApi(emulator, '/rooms?colour=blue&max=5', alice)).status).toBe(200);
    });

    it.each([
      'max=0',
      'max=1001',
      'max=abc',
      'max=1.5',
      'max=-1',
      'max=',
      'max=99999999999999999999',
      'max=1e3',
      'max=2&max=3',
      'type=space',
      'type=GROUP',
      'type=direct&type=group',
      'sortBy=title',
      'sortBy=',
      'cursor=garbage',
      'cursor=%E2%9C%93',
      'cursor=',
      'teamId=',
    ])('answers ?%s with a Webex 400', async (query) => {
      await webexError(await callApi(emulator, `/rooms?${query}`, alice), 400);
    });

    it('refuses a tampered cursor and one from another emulator', async () => {
      const next = nextLink(await callApi(emulator, '/rooms?max=2', alice)) ?? '';
      const cursor = new URL(next).searchParams.get('cursor') ?? '';
      const flipped = cursor.slice(0, -3) + (cursor.at(-3) === 'A' ? 'B' : 'A') + cursor.slice(-2);
      const other = await startTestEmulator();
      try {
        const otherAlice = other.controls.issueTokens('alice', CLIENT.clientId);

        await webexError(await callApi(emulator, `/rooms?cursor=${flipped}`, alice), 400);
        await webexError(await callApi(other, `/rooms?cursor=${cursor}`, otherAlice), 400);
        expect((await callApi(emulator, `/rooms?cursor=${cursor}`, alice)).status).toBe(200);
      } finally {
        await other.close();
      }
    });

    it('answers 403 when the token lacks spark:rooms_read', async () => {
      const peopleOnly = emulator.controls.issueTokens('alice', CLIENT.clientId, ['spark:people_read']);

      expect(await webexError(await callApi(emulator, '/rooms', peopleOnly), 403)).toContain('spark:rooms_read');
    });

    it('answers 401 before looking at the query', async () => {
      await webexError(await callApi(emulator, '/rooms?max=0', 'made-up'), 401);
    });
  });
});
