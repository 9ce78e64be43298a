import { bootApp, type BootedApp } from './support/app';
import { type SeedHandle } from './support/emulator';
import { signedIn } from './support/flow';
import { h1Of, leaksIn, roomTitlesOf, textOf, timesOf, titleOf } from './support/html';
import { useSuiteApp } from './support/suite';

/** The people table's rows as [name, email, role]. */
function peopleOf(html: string): string[][] {
  const body = /<tbody>([\s\S]*?)<\/tbody>/i.exec(html)?.[1] ?? '';
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/gi)].map((row) =>
    [...row[1].matchAll(/<td>([\s\S]*?)<\/td>/gi)].map((cell) => textOf(cell[1])),
  );
}

/** Each space on the spaces list, by title, with the address of its page. */
function spaceLinksOf(html: string): Map<string, string> {
  const body = /<tbody>([\s\S]*?)<\/tbody>/i.exec(html)?.[1] ?? '';
  return new Map(
    [...body.matchAll(/<td><a href="(\/spaces\/[^"]+)">([\s\S]*?)<\/a><\/td>/gi)].map((m) => [textOf(m[2]), m[1]]),
  );
}

describe('A space page', () => {
  const suite = useSuiteApp();
  const requests = (route: string) => suite.emulator.controls.stats().requests[route] ?? 0;

  async function spacesOf(handle: SeedHandle) {
    const agent = await signedIn(suite.booted.agent(), suite.emulator, handle);
    const list = await agent.get('/listrooms');
    expect(list.status).toBe(200);
    return { agent, links: spaceLinksOf(list.text), titles: roomTitlesOf(list.text) };
  }

  it('is linked from every title on the spaces list', async () => {
    const { links, titles } = await spacesOf('alice');

    expect([...links.keys()]).toEqual(titles);
    expect(titles).toHaveLength(7);
  });

  it('shows a locked group space with its details and its people, moderators marked', async () => {
    const { agent, links } = await spacesOf('alice');

    const page = await agent.get(links.get('Release Planning') ?? '');

    expect(page.status).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(h1Of(page.text)).toBe('Webex Integration example: Release Planning');
    expect(titleOf(page.text)).toMatch(/^Release Planning/);
    expect(textOf(page.text)).toMatch(/Type Group, locked/);
    expect(timesOf(page.text)).toHaveLength(2);
    expect(peopleOf(page.text)).toEqual([
      ['Alice Sandbox', 'alice@example.com', 'Moderator'],
      ['Grace Sample', 'grace@example.com', 'Moderator'],
      ['Frank Sample', 'frank@example.com', 'Member'],
    ]);
  });

  it('shows a direct space: the two people in it, no moderators', async () => {
    const { agent, links } = await spacesOf('alice');

    const page = await agent.get(links.get('Dave Example') ?? '');

    expect(textOf(page.text)).toMatch(/Type Direct(?!, locked)/);
    expect(peopleOf(page.text)).toEqual([
      ['Alice Sandbox', 'alice@example.com', 'Member'],
      ['Dave Example', 'dave@example.com', 'Member'],
    ]);
  });

  it('follows Webex’s pages of people: all 1,200 of a large space, in two calls', async () => {
    const { agent, links } = await spacesOf('alice');
    const before = requests('memberships');

    const page = await agent.get(links.get('Sandbox Team Standup') ?? '');

    expect(page.status).toBe(200);
    expect(peopleOf(page.text)).toHaveLength(1_200);
    expect(textOf(page.text)).toContain('1,200 people in this space');
    expect(page.text).toContain('<a href="/listrooms" aria-current="true">Spaces</a>');
    expect(textOf(page.text)).not.toMatch(/more people than this page shows/);
    expect(requests('memberships') - before).toBe(2);
  });

  it('shows names that are markup as text', async () => {
    const { agent, links } = await spacesOf('mallory');

    const page = await agent.get(links.get('<script>alert(1)</script>') ?? '');

    expect(page.status).toBe(200);
    expect(page.text).not.toMatch(/<script|<img/i);
    expect(h1Of(page.text)).toBe('Webex Integration example: <script>alert(1)</script>');
    expect(peopleOf(page.text).map(([name]) => name)).toEqual([
      `<img src=x onerror=alert(1)> Mallory & "Friends" 'Quoted'`,
      '<script>alert("member")</script>',
      `Eve & "Co" 'Quoted'`,
      '<img src=x onerror=alert(2)>',
    ]);
  });

  it.each<SeedHandle>(['alice', 'mallory', 'carol'])(
    'works for every space %s has (carol: the first ten)',
    async (handle) => {
      const { agent, links } = await spacesOf(handle);
      const addresses = [...links.values()].slice(0, 10);
      expect(addresses.length).toBeGreaterThan(0);

      for (const address of addresses) {
        const page = await agent.get(address);
        expect(`${address} → ${page.status}`).toBe(`${address} → 200`);
        expect(peopleOf(page.text).length).toBeGreaterThanOrEqual(2);
      }
    },
  );

  it('answers a space that does not exist, or is someone else’s, with the 404 page', async () => {
    const carol = await spacesOf('carol');
    const { agent } = await spacesOf('alice');

    const unknown = await agent.get('/spaces/Y2lzY29zcGFyazovL3VzL1JPT00vbm8tc3VjaC1yb29t');
    const foreign = await agent.get([...carol.links.values()][0]);

    for (const page of [unknown, foreign]) {
      expect(page.status).toBe(404);
      expect(h1Of(page.text)).toBe('Webex Integration example: Error');
      expect(textOf(page.text)).toMatch(/does not exist, or it is not shared with you/);
    }
  });

  it.each(['not%20an%20id', '%3Cscript%3E', 'semi;colon', 'x'.repeat(600)])(
    'answers a malformed space id (%#) with 400, without asking Webex',
    async (id) => {
      const { agent } = await spacesOf('alice');
      const before = requests('rooms/{roomId}');

      const page = await agent.get(`/spaces/${id}`);

      expect(page.status).toBe(400);
      expect(requests('rooms/{roomId}')).toBe(before);
    },
  );

  it.each([
    ['a 403', { kind: 'status', status: 403 } as const, 403, /needs the spark:memberships_read scope/],
    ['a 500', { kind: 'status', status: 500 } as const, 502, /could not be reached/],
    ['a 429', { kind: 'rate-limit', retryAfterSeconds: 9 } as const, 503, /try again in 9 seconds/],
  ])(
    'explains %s from Webex on the people list, and keeps the person signed in',
    async (_case, fault, status, words) => {
      const { agent, links } = await spacesOf('alice');
      suite.emulator.controls.injectFault({ route: 'memberships', times: Infinity, ...fault });

      const page = await agent.get(links.get('Coffee Chat') ?? '');

      expect(page.status).toBe(status);
      expect(textOf(page.text)).toMatch(words);
      expect(textOf(page.text)).toMatch(/Webex tracking id/);
      suite.emulator.controls.clearFaults();
      expect((await agent.get(links.get('Coffee Chat') ?? '')).status).toBe(200);
    },
  );

  it('sends a signed-out visitor to sign in, without asking Webex', async () => {
    const before = requests('rooms/{roomId}');

    const page = await suite.booted.agent().get('/spaces/Y2lzY29zcGFyazovL3VzL1JPT00vYWJj');

    expect(page.status).toBe(303);
    expect(requests('rooms/{roomId}')).toBe(before);
  });

  it('never puts a token in the page', async () => {
    const { agent, links } = await spacesOf('alice');
    const page = await agent.get(links.get('Random') ?? '');
    expect(leaksIn(page.text)).toEqual([]);
  });

  describe('with a cap on lists below the size of a space', () => {
    let capped: BootedApp;

    beforeAll(async () => {
      capped = await bootApp(suite.emulator, { WEBEX_LIST_LIMIT: '500', WEBEX_PAGE_SIZE: '200' });
    });
    afterAll(() => capped?.close());

    it('shows the first people up to the cap, and says there are more', async () => {
      const agent = await signedIn(capped.agent(), suite.emulator, 'alice');
      const links = spaceLinksOf((await agent.get('/listrooms')).text);

      const page = await agent.get(links.get('Sandbox Team Standup') ?? '');

      expect(peopleOf(page.text)).toHaveLength(500);
      expect(textOf(page.text)).toMatch(/more people than this page shows: here are the first 500 people/);
    });
  });

  // The tutorial's integration ticks people and rooms only.
  describe('with an integration that lacks spark:memberships_read', () => {
    const tutorial = useSuiteApp({
      emulator: { grantedScopes: ['spark:people_read', 'spark:rooms_read', 'spark:kms'] },
    });

    it('signs in, lists the spaces without links, and says which scope the space pages need', async () => {
      const agent = await signedIn(tutorial.booted.agent(), tutorial.emulator, 'alice');

      const list = await agent.get('/listrooms');
      const space = await agent.get('/spaces/Y2lzY29zcGFyazovL3VzL1JPT00vYWJj');

      expect(list.status).toBe(200);
      expect(roomTitlesOf(list.text)).toHaveLength(7);
      expect(spaceLinksOf(list.text).size).toBe(0);
      expect(textOf(list.text)).toMatch(
        /Space pages \(unavailable: the integration needs the spark:memberships_read scope/,
      );
      expect(space.status).toBe(403);
      expect(textOf(space.text)).toMatch(/Space pages needs the Webex scope spark:memberships_read/);
      expect(tutorial.emulator.controls.stats().requests['rooms/{roomId}']).toBe(0);
    });
  });
});
