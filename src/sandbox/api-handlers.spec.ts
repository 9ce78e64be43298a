import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Router } from 'express';
import { enumParam, idParam, pagedList, requireScope, singleItem } from './api-handlers';
import { createEmulatorApp } from './emulator-app';
import { resolveOptions } from './emulator-options';
import { EmulatorState } from './emulator-state';
import { EmulatorStatsCounter } from './emulator-stats';
import type { EmulatorControls } from './emulator.types';
import { DelayedResponses, FaultBoard } from './faults';
import { OidcProvider } from './oidc-provider';
import { routeFront, type RouteContext } from './route-context';
import { RouteRegistry } from './route-registry';
import { get, nextLink } from './sandbox.test-helpers';

// The machinery a new endpoint gets for free, shown on made-up endpoints mounted in the emulator's
// own frame: a name known to faults, latency and stats, its scope, paging, and Webex's 400 and 404.

interface Thing {
  id: string;
  colour: 'red' | 'green' | 'blue';
  owner: string;
}

const COLOURS = ['red', 'green', 'blue'] as const;
const THINGS: Thing[] = Array.from({ length: 25 }, (_, i) => ({
  id: `thing-${String(i).padStart(2, '0')}`,
  colour: COLOURS[i % 3],
  owner: i % 2 === 0 ? 'alice' : 'bob',
}));

type ThingsQuery = { colour?: Thing['colour']; ownerId?: string };

function thingsRoutes(ctx: RouteContext): Router {
  const router = Router();
  router.get(
    '/v1/things',
    ...routeFront(ctx, 'things', 'rest'),
    requireScope(ctx, 'spark:things_read'),
    pagedList(ctx, {
      query: (params): ThingsQuery => ({
        colour: enumParam(params, 'colour', COLOURS),
        ownerId: idParam(params, 'ownerId'),
      }),
      items: (query, caller) =>
        THINGS.filter(
          (t) =>
            t.owner === caller.handle &&
            (!query.colour || t.colour === query.colour) &&
            (!query.ownerId || t.owner === query.ownerId),
        ),
      defaultMax: 5,
    }),
  );
  router.get(
    '/v1/things/:thingId',
    ...routeFront(ctx, 'thing', 'rest'),
    requireScope(ctx, 'spark:things_read'),
    singleItem(({ thingId }, caller) => THINGS.find((t) => t.id === thingId && t.owner === caller.handle)),
  );
  router.get(
    '/v1/gadgets',
    ...routeFront(ctx, 'gadgets', 'rest'),
    requireScope(ctx, 'spark:gadgets_read'),
    pagedList(ctx, { query: () => ({}), items: () => THINGS }),
  );
  return router;
}

describe('API handlers, on made-up endpoints', () => {
  const settings = resolveOptions({
    clients: [
      {
        clientId: 'c',
        clientSecret: 's',
        redirectUris: ['http://localhost/cb'],
        scopes: ['spark:things_read', 'spark:gadgets_read'],
      },
    ],
  });
  const state = new EmulatorState(settings);
  const routes = new RouteRegistry();
  const stats = new EmulatorStatsCounter(routes);
  const faults = new FaultBoard(() => undefined, routes);
  const delays = new DelayedResponses();
  let origin = '';
  const ctx: RouteContext = {
    settings,
    state,
    routes,
    faults,
    delays,
    stats,
    // testControls is off: the control routes are not mounted.
    controls: {} as EmulatorControls,
    oidc: new OidcProvider(),
    origin: () => origin,
  };
  let server: Server;
  const token = state.issueTokens('alice', 'c').access_token;
  const call = (path: string, bearer = token) => get(`${origin}${path}`, { authorization: `Bearer ${bearer}` });

  async function webexError(res: Response, status: number): Promise<string> {
    const body = (await res.json()) as { message: string; errors: { description: string }[]; trackingId: string };
    expect(res.status).toBe(status);
    expect(body).toEqual({
      message: body.message,
      errors: [{ description: body.message }],
      trackingId: res.headers.get('trackingid'),
    });
    return body.message;
  }

  beforeAll(async () => {
    server = createServer(createEmulatorApp(ctx, [thingsRoutes]));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    state.dispose();
    delays.cancelAll();
    await new Promise((resolve) => server.close(resolve));
  });
  afterEach(() => {
    faults.reset();
    stats.reset();
  });

  describe('route names and scopes', () => {
    it('lists every registered route in the stats, 0 until hit', async () => {
      expect(stats.snapshot().requests).toEqual({ things: 0, thing: 0, gadgets: 0 });

      await call('/v1/things');
      await call('/v1/things/thing-00');
      expect(stats.snapshot().requests).toEqual({ things: 1, thing: 1, gadgets: 0 });
    });

    it('takes a fault for a registered route, and names the known ones when refusing another', async () => {
      faults.inject({ route: 'gadgets', kind: 'status', status: 503 });
      expect((await call('/v1/gadgets')).status).toBe(503);

      expect(() => faults.inject({ route: 'rooms', kind: 'status' })).toThrow(
        'route must be one of: things, thing, gadgets.',
      );
      expect(() => faults.setLatency(10, 'rooms')).toThrow('route must be one of: things, thing, gadgets.');
    });

    it('keeps latency per route, and for every route without one', () => {
      faults.setLatency(50, 'thing');
      expect([faults.latency('thing'), faults.latency('things')]).toEqual([50, 0]);
      faults.setLatency(20);
      expect([faults.latency('thing'), faults.latency('things')]).toEqual([20, 20]);
    });

    it('knows the scopes the routes check, once each', () => {
      expect(routes.scopes()).toEqual(['spark:gadgets_read', 'spark:things_read']);
    });

    it('answers 403 naming the scope a token lacks', async () => {
      const thingsOnly = state.issueTokens('alice', 'c', ['spark:things_read']).access_token;

      expect(await webexError(await call('/v1/gadgets', thingsOnly), 403)).toContain('spark:gadgets_read');
    });
  });

  describe('pagedList', () => {
    async function pages(first: string): Promise<{ ids: string[][]; links: string[] }> {
      const ids: string[][] = [];
      const links: string[] = [];
      let url: string | undefined = `${origin}${first}`;
      while (url) {
        const res = await get(url, { authorization: `Bearer ${token}` });
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
        ids.push(((await res.json()) as { items: Thing[] }).items.map((t) => t.id));
        url = nextLink(res);
        if (url) links.push(url);
      }
      return { ids, links };
    }

    it('pages by the default max through next links on the route’s own path', async () => {
      const { ids, links } = await pages('/v1/things');

      expect(ids.map((p) => p.length)).toEqual([5, 5, 3]);
      expect(ids.flat()).toEqual(THINGS.filter((t) => t.owner === 'alice').map((t) => t.id));
      for (const link of links) expect(link).toMatch(new RegExp(`^${origin}/v1/things\\?cursor=[A-Za-z0-9_-]+$`));
    });

    it('keeps max and the filters on every page, and links the registered path whatever the spelling', async () => {
      const { ids, links } = await pages('/V1/Things/?max=2&colour=red');
      const red = THINGS.filter((t) => t.owner === 'alice' && t.colour === 'red').map((t) => t.id);

      expect(ids.flat()).toEqual(red);
      expect(ids.map((p) => p.length)).toEqual([2, 2, 1]);
      expect(links.every((link) => link.startsWith(`${origin}/v1/things?cursor=`))).toBe(true);
    });

    it('answers {"items":[]} without a link when nothing matches', async () => {
      const res = await call('/v1/things?ownerId=nobody');

      expect(await res.text()).toBe('{"items":[]}');
      expect(res.headers.get('link')).toBeNull();
    });

    it.each([
      ['max=0', 'max must be an integer from 1 to 1000.'],
      ['max=1001', 'max must be an integer from 1 to 1000.'],
      ['max=1&max=2', 'Parameter max must be given once.'],
      ['colour=purple', 'colour must be red, green or blue.'],
      ['ownerId=', 'ownerId is not valid.'],
      ['cursor=abc', 'The cursor is not valid.'],
    ])('answers ?%s with a Webex 400: %s', async (query, message) => {
      expect(await webexError(await call(`/v1/things?${query}`), 400)).toBe(message);
    });

    it('refuses a cursor made for another list', async () => {
      const next = nextLink(await call('/v1/gadgets?max=2')) ?? '';
      const cursor = new URL(next).searchParams.get('cursor') ?? '';

      expect((await call(`/v1/gadgets?cursor=${cursor}`)).status).toBe(200);
      expect(await webexError(await call(`/v1/things?cursor=${cursor}`), 400)).toBe('The cursor is not valid.');
    });
  });

  describe('singleItem', () => {
    it('answers the item as JSON', async () => {
      const res = await call('/v1/things/thing-02');

      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(await res.json()).toEqual(THINGS[2]);
    });

    it.each([
      ['an unknown id', 'thing-99'],
      ['another user’s item', 'thing-01'],
    ])('answers %s with Webex’s 404', async (_case, id) => {
      expect(await webexError(await call(`/v1/things/${id}`), 404)).toBe('The requested resource could not be found.');
    });

    it('answers 401 before looking the id up', async () => {
      await webexError(await call('/v1/things/thing-02', 'made-up'), 401);
    });
  });
});
