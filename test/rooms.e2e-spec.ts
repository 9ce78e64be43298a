import { bootApp, type BootedApp } from './support/app';
import { useSuiteApp } from './support/suite';
import { signedIn } from './support/flow';
import { h1Of, roomTitlesOf, textOf, timesOf } from './support/html';

const SPACES_LIST = 'Webex Integration example: Spaces List';
const MORE_SPACES = /more spaces than this page shows/i;

/** Alice's seven spaces, newest activity first, as Webex sorts them with sortBy=lastactivity. */
const ALICE_SPACES = [
  'Sandbox Team Standup',
  'Dave Example',
  'Release Planning',
  'Random',
  'Coffee Chat',
  'Design Reviews',
  'Erin Example',
];

function expectNewestFirst(datetimes: string[]): void {
  const instants = datetimes.map((d) => Date.parse(d));
  expect(instants.every((t) => !Number.isNaN(t))).toBe(true);
  for (let i = 1; i < instants.length; i++) expect(instants[i]).toBeLessThanOrEqual(instants[i - 1]);
}

describe('Listing spaces', () => {
  const suite = useSuiteApp();

  const roomsRequests = () => suite.emulator.controls.stats().requests.rooms;

  it('sends a signed-out browser home instead of listing anything', async () => {
    const response = await suite.booted.agent().get('/listrooms');

    expect(response.status).toBe(303);
    expect(response.headers.location).toBe('/?next=%2Flistrooms');
    expect(roomsRequests()).toBe(0);
  });

  it("lists every one of alice's spaces, newest activity first, each with its time", async () => {
    const agent = await signedIn(suite.booted.agent(), suite.emulator, 'alice');

    const response = await agent.get('/listrooms');

    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/text\/html/);
    expect(h1Of(response.text)).toBe(SPACES_LIST);
    expect(textOf(response.text)).toContain('Here are your latest active spaces:');
    expect(roomTitlesOf(response.text)).toEqual(ALICE_SPACES);
    const times = timesOf(response.text);
    expect(times).toHaveLength(7);
    times.forEach((t) => expect(t).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/));
    expectNewestFirst(times);
    expect(response.text).not.toMatch(MORE_SPACES);
    expect(response.headers['cache-control']).toMatch(/no-store/);
  });

  it('links back home and keeps the person signed in', async () => {
    const agent = await signedIn(suite.booted.agent(), suite.emulator, 'alice');

    const response = await agent.get('/listrooms');
    const home = await agent.get('/');

    expect(response.text).toMatch(/<a href="\/">[^<]*<\/a>/);
    expect(h1Of(home.text)).toBe('Webex Integration example: Authenticated');
  });

  it('tells bob, who is in no spaces, that there are none', async () => {
    const agent = await signedIn(suite.booted.agent(), suite.emulator, 'bob');

    const response = await agent.get('/listrooms');

    expect(response.status).toBe(200);
    expect(h1Of(response.text)).toBe(SPACES_LIST);
    expect(textOf(response.text)).toContain('You are not in any spaces yet.');
    expect(roomTitlesOf(response.text)).toEqual([]);
  });

  it('shows carol the 2,000 most recent of her 2,600 spaces and says there are more', async () => {
    const agent = await signedIn(suite.booted.agent(), suite.emulator, 'carol');
    const before = roomsRequests();

    const response = await agent.get('/listrooms');

    expect(response.status).toBe(200);
    const titles = roomTitlesOf(response.text);
    expect(titles).toHaveLength(2000);
    expect(new Set(titles).size).toBe(2000);
    const times = timesOf(response.text);
    expect(times).toHaveLength(2000);
    expectNewestFirst(times);
    expect(textOf(response.text)).toMatch(MORE_SPACES);
    // Two pages of 1,000; the third is not fetched once the cap is reached.
    expect(roomsRequests() - before).toBe(2);
  });

  describe('with hostile titles and names (mallory)', () => {
    it('escapes every space title and never emits the markup', async () => {
      const agent = await signedIn(suite.booted.agent(), suite.emulator, 'mallory');

      const response = await agent.get('/listrooms');

      expect(response.status).toBe(200);
      expect(roomTitlesOf(response.text)).toEqual(
        expect.arrayContaining([
          '<script>alert(1)</script>',
          'Tom & Jerry',
          `"Double" and 'single' quotes`,
          '<img src=x onerror=alert(1)>',
        ]),
      );
      expect(response.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(response.text).toContain('Tom &amp; Jerry');
      expect(response.text).not.toContain('<script>alert(1)</script>');
      expect(response.text).not.toContain('<img src=x onerror');
      expect(response.text).not.toMatch(/<script\b/i);
      expect(response.text).not.toMatch(/<img\b/i);
    });

    it('escapes the display name on the signed-in page', async () => {
      const agent = await signedIn(suite.booted.agent(), suite.emulator, 'mallory');

      const response = await agent.get('/');

      expect(response.text).toContain('&lt;img src');
      expect(response.text).not.toContain('<img src=x onerror');
      expect(response.text).not.toMatch(/<img\b/i);
      expect(textOf(response.text)).toContain(
        `So happy to meet, <img src=x onerror=alert(1)> Mallory & "Friends" 'Quoted'!`,
      );
    });
  });

  describe('with small pages (WEBEX_PAGE_SIZE=3)', () => {
    let paged: BootedApp;

    beforeAll(async () => {
      paged = await bootApp(suite.emulator, { WEBEX_PAGE_SIZE: '3' });
    });

    afterAll(async () => {
      await paged?.close();
    });

    it("follows Webex's next links until alice's seven spaces are all listed", async () => {
      const agent = await signedIn(paged.agent(), suite.emulator, 'alice');
      const before = roomsRequests();

      const response = await agent.get('/listrooms');

      expect(response.status).toBe(200);
      expect(roomTitlesOf(response.text)).toEqual(ALICE_SPACES);
      expectNewestFirst(timesOf(response.text));
      expect(roomsRequests() - before).toBe(3);
      expect(response.text).not.toMatch(MORE_SPACES);
    });
  });

  describe('with a cap below the number of spaces (WEBEX_LIST_LIMIT=5, WEBEX_PAGE_SIZE=3)', () => {
    let capped: BootedApp;

    beforeAll(async () => {
      capped = await bootApp(suite.emulator, { WEBEX_LIST_LIMIT: '5', WEBEX_PAGE_SIZE: '3' });
    });

    afterAll(async () => {
      await capped?.close();
    });

    it('lists the five most recent spaces and says there are more', async () => {
      const agent = await signedIn(capped.agent(), suite.emulator, 'alice');
      const before = roomsRequests();

      const response = await agent.get('/listrooms');

      expect(response.status).toBe(200);
      expect(roomTitlesOf(response.text)).toEqual(ALICE_SPACES.slice(0, 5));
      expect(textOf(response.text)).toMatch(MORE_SPACES);
      expect(roomsRequests() - before).toBe(2);
    });

    it('says nothing about more spaces when all of them fit under the cap', async () => {
      const agent = await signedIn(capped.agent(), suite.emulator, 'mallory');

      const response = await agent.get('/listrooms');

      expect(response.status).toBe(200);
      expect(roomTitlesOf(response.text)).toHaveLength(4);
      expect(response.text).not.toMatch(MORE_SPACES);
    });
  });
});
