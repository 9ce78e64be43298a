import { screenshot, useSandboxBrowser } from './support/sandbox-browser';
import {
  backToSpaces,
  decide,
  DISPLAY_NAMES,
  expectServicePage,
  greetingOf,
  H1,
  openConsent,
  openSpace,
  roomRowsOf,
  openSpaces,
  type PersonRow,
  signInAs,
} from './support/pages';

/** Mallory's space titles as the emulator seeds them, latest activity first. */
const MALLORY_SPACES = [
  `"Double" and 'single' quotes`,
  '<script>alert(1)</script>',
  'Tom & Jerry',
  '<img src=x onerror=alert(1)>',
];

describe('HTML in Webex data, in a real browser (sandbox mode)', () => {
  const suite = useSandboxBrowser();

  it("shows Mallory's name and space titles as literal text and runs none of them", async () => {
    const { page } = suite;
    await openConsent(suite);
    const label = page.locator('label', { has: page.locator('input[value=mallory]') });
    expect((await label.textContent())?.trim()).toBe(`${DISPLAY_NAMES.mallory} <mallory@example.com>`);
    expect(await page.locator('fieldset img, fieldset script').count()).toBe(0);

    await decide(suite, 'mallory', 'Accept');
    await expectServicePage(suite, H1.authenticated);
    expect(await page.locator('main p').first().locator('strong').textContent()).toBe(DISPLAY_NAMES.mallory);
    expect(await greetingOf(page)).toBe(`So happy to meet, ${DISPLAY_NAMES.mallory}!`);
    expect(await page.locator('main img').count()).toBe(0);
    expect(await page.locator('script').count()).toBe(0);

    await openSpaces(suite);
    expect((await roomRowsOf(page)).map((row) => row.title)).toEqual(MALLORY_SPACES);
    expect(await page.locator('main img').count()).toBe(0);
    expect(await page.locator('script').count()).toBe(0);
    await screenshot(page, '07-mallory-spaces');
    // Any alert would have opened a dialog and an injected <img src=x> would have requested /x:
    // the page watch fails the test on either.
  });

  it("opens each of Mallory's spaces from her list and shows their people, markup in names, as literal text", async () => {
    const { page } = suite;
    const mallory = { name: DISPLAY_NAMES.mallory, email: 'mallory@example.com', role: 'Member' };
    const markupPeople = [
      mallory,
      { name: '<script>alert("member")</script>', email: 'script@example.com', role: 'Moderator' },
      { name: `Eve & "Co" 'Quoted'`, email: 'eve@example.com', role: 'Member' },
      { name: '<img src=x onerror=alert(2)>', email: 'img@example.com', role: 'Member' },
    ];
    const people: Record<string, PersonRow[]> = {
      [MALLORY_SPACES[0]]: markupPeople,
      [MALLORY_SPACES[1]]: markupPeople,
      [MALLORY_SPACES[2]]: [
        mallory,
        { name: 'Dave Example', email: 'dave@example.com', role: 'Member' },
        markupPeople[2],
      ],
      [MALLORY_SPACES[3]]: [mallory, markupPeople[3]],
    };
    await signInAs(suite, 'mallory');
    await openSpaces(suite);

    for (const title of MALLORY_SPACES) {
      await openSpace(suite, title, { people: people[title] });
      expect(await page.locator('main img').count()).toBe(0);
      expect(await page.locator('script').count()).toBe(0);
      if (title === '<script>alert(1)</script>') await screenshot(page, '09-mallory-space');
      await backToSpaces(suite);
    }
    // As on the list: an alert or a request for /x would have failed the test in the page watch.
  });
});
