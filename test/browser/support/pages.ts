import type { Locator, Page } from 'playwright-core';
import type { SeedHandle } from '../../support/emulator';
import type { SandboxBrowser } from './sandbox-browser';

export const DISPLAY_NAMES: Record<SeedHandle, string> = {
  alice: 'Alice Sandbox',
  bob: 'Bob Newcomer',
  carol: 'Carol Busy',
  mallory: `<img src=x onerror=alert(1)> Mallory & "Friends" 'Quoted'`,
};

export const H1 = {
  home: 'Webex Integration example: Home',
  authenticated: 'Webex Integration example: Authenticated',
  spaces: 'Webex Integration example: Spaces List',
  logout: 'Webex Integration example: Log out',
  error: 'Webex Integration example: Error',
  /** A space page is headed with the space's title. */
  space: (title: string) => `Webex Integration example: ${title}`,
} as const;

/** Clicks and waits until the browser has loaded a page at `url` (after any redirects). */
export async function clickThrough(page: Page, target: Locator, url: string | RegExp): Promise<void> {
  await target.click();
  await page.waitForURL(url, { waitUntil: 'load' });
}

export function pathOn(origin: string, path: string): RegExp {
  const escaped = `${origin}${path}`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped}(\\?.*)?$`);
}

/**
 * What every page of the service must be: on the redirect URI's origin, with the expected
 * heading, the sandbox banner in view, Water.css and app.css applied, and a favicon that loads.
 */
export async function expectServicePage(suite: SandboxBrowser, h1: string | RegExp): Promise<void> {
  const { page } = suite;
  await page.waitForLoadState('load');
  expect(new URL(page.url()).origin).toBe(suite.origin);
  const heading = (await page.locator('h1').textContent())?.trim();
  if (typeof h1 === 'string') expect(heading).toBe(h1);
  else expect(heading).toMatch(h1);

  const banner = page.locator('.sandbox-banner');
  expect(await banner.isVisible()).toBe(true);
  expect(await banner.textContent()).toContain('Sandbox mode.');

  const styles = await page.evaluate(() => ({
    sheets: [...document.querySelectorAll<HTMLLinkElement>('link[rel=stylesheet]')].map((link) => ({
      href: new URL(link.href).pathname,
      loaded: (link.sheet?.cssRules.length ?? 0) > 0,
    })),
    // Water.css centres the body at 800px; app.css paints the banner amber.
    bodyMaxWidth: getComputedStyle(document.body).maxWidth,
    bannerBackground: getComputedStyle(document.querySelector('.sandbox-banner')!).backgroundColor,
    icon: document.querySelector<HTMLLinkElement>('link[rel=icon]')?.href,
    dark: matchMedia('(prefers-color-scheme: dark)').matches,
  }));
  expect(styles.sheets).toEqual([
    { href: '/static/water.css', loaded: true },
    { href: '/static/app.css', loaded: true },
  ]);
  expect(styles.bodyMaxWidth).toBe('800px');
  expect(styles.bannerBackground).toBe(styles.dark ? 'rgb(59, 42, 6)' : 'rgb(254, 243, 199)');

  // Headless Chromium does not fetch favicons itself, so ask for the one the page links.
  expect(styles.icon).toBe(`${suite.origin}/static/favicon.svg`);
  const icon = await page.request.get(styles.icon!);
  expect(icon.status()).toBe(200);
  expect(icon.headers()['content-type']).toMatch(/^image\/svg\+xml/);

  suite.watch.checkedDocuments.push(page.url());
}

/** The emulator's consent page, standing in for Webex's: not ours, so it has its own notice instead of the banner. */
export async function expectConsentPage(suite: SandboxBrowser): Promise<void> {
  const { page } = suite;
  await page.waitForLoadState('load');
  expect(`${new URL(page.url()).origin}${new URL(page.url()).pathname}`).toBe(`${suite.emulatorOrigin}/v1/authorize`);
  expect((await page.locator('h1').textContent())?.trim()).toBe('Webex sandbox — sign in');
  expect(await page.locator('.notice').isVisible()).toBe(true);
}

/** Home page → Start OAuth flow → the emulator's consent page. */
export async function openConsent(suite: SandboxBrowser): Promise<void> {
  const { page } = suite;
  await page.goto(`${suite.origin}/`);
  await expectServicePage(suite, H1.home);
  await clickThrough(
    page,
    page.getByRole('link', { name: 'Start OAuth flow' }),
    pathOn(suite.emulatorOrigin, '/v1/authorize'),
  );
  await expectConsentPage(suite);
}

/**
 * On the consent page: pick a seeded person and press Accept or Decline; waits for the service's
 * answer (the home page, or the callback's error page when `refused`).
 */
export async function decide(
  suite: SandboxBrowser,
  handle: SeedHandle,
  decision: 'Accept' | 'Decline',
  refused = decision === 'Decline',
): Promise<void> {
  const { page } = suite;
  await page.locator(`input[name=user][value=${handle}]`).check();
  const landing = refused ? pathOn(suite.origin, '/oauth') : pathOn(suite.origin, '/');
  await clickThrough(page, page.getByRole('button', { name: decision, exact: true }), landing);
}

/** The whole sign-in as a person does it; ends on the greeting page, checked. */
export async function signInAs(suite: SandboxBrowser, handle: SeedHandle): Promise<void> {
  await openConsent(suite);
  await decide(suite, handle, 'Accept');
  await expectServicePage(suite, H1.authenticated);
  expect(await greetingOf(suite.page)).toBe(`So happy to meet, ${DISPLAY_NAMES[handle]}!`);
}

/** From the greeting page, the "List my rooms (spaces)" link; ends on the spaces page, checked. */
export async function openSpaces(suite: SandboxBrowser): Promise<void> {
  const { page } = suite;
  await clickThrough(
    page,
    page.getByRole('link', { name: 'List my rooms (spaces)' }),
    pathOn(suite.origin, '/listrooms'),
  );
  await expectServicePage(suite, H1.spaces);
}

export async function greetingOf(page: Page): Promise<string> {
  return ((await page.locator('main p').first().textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

export interface RoomRow {
  title: string;
  type: string;
  datetime: string | null;
  label: string;
}

/** Which rows to read: those titled `title`, or the first `first`; all by default. */
interface RoomRowFilter {
  title?: string;
  first?: number;
}

/** Runs in the page, so self-contained: the rows as a person reads them. */
function readRoomRows(rows: Element[], { title, first }: RoomRowFilter): RoomRow[] {
  return rows
    .slice(0, first)
    .filter((row) => title === undefined || row.querySelector('td')?.textContent === title)
    .map((row) => {
      const cells = row.querySelectorAll('td');
      const time = row.querySelector('time');
      return {
        title: cells[0]?.textContent ?? '',
        type: cells[1]?.textContent ?? '',
        datetime: time?.getAttribute('datetime') ?? null,
        label: time?.textContent ?? '',
      };
    });
}

/**
 * The spaces list's rows; `which` reads fewer of them (reading all of Carol's 2,000 costs a
 * third of a second).
 */
export function roomRowsOf(page: Page, which: RoomRowFilter = {}): Promise<RoomRow[]> {
  return page.locator('tbody tr').evaluateAll(readRoomRows, which);
}

/** One person on a space page, as the people table shows them. */
export interface PersonRow {
  name: string;
  email: string;
  role: string;
}

/** A space page, read as a person reads it. */
export interface SpaceView {
  /** The Type line: "Group", "Group, locked (moderated)" or "Direct". */
  type: string;
  created: string | null;
  lastActivity: string | null;
  /** The people table's caption, e.g. "3 people in this space". */
  caption: string;
  /** The notice above the table when Webex had more people than the page shows. */
  notice: string | null;
  people: PersonRow[];
}

export function spaceOf(page: Page): Promise<SpaceView> {
  return page.locator('main').evaluate((main) => {
    const text = (node: Element | null | undefined) => (node?.textContent ?? '').replace(/\s+/g, ' ').trim();
    const details = new Map(
      [...main.querySelectorAll('dl > dt')].map((dt) => [text(dt), dt.nextElementSibling] as const),
    );
    const datetime = (term: string) => details.get(term)?.querySelector('time')?.getAttribute('datetime') ?? null;
    return {
      type: text(details.get('Type')),
      created: datetime('Created'),
      lastActivity: datetime('Last activity'),
      caption: text(main.querySelector('table caption')),
      notice: main.querySelector('[role=status]') ? text(main.querySelector('[role=status]')) : null,
      people: [...main.querySelectorAll('tbody tr')].map((row) => {
        const [name, email, role] = [...row.querySelectorAll('td')].map((cell) => cell.textContent ?? '');
        return { name, email, role };
      }),
    };
  });
}

/** How a person moves: with the mouse, or with Tab and Enter. */
export type Moving = 'click' | 'keyboard';

/**
 * Follows `link` to a page at `url` as a person does: a click, or, on a page just loaded, Tab
 * from its top until the link has the focus (visibly) and Enter.
 */
async function follow(page: Page, link: Locator, url: string | RegExp, by: Moving): Promise<void> {
  if (by === 'click') return clickThrough(page, link, url);
  for (let presses = 0; !(await link.evaluate((element) => element === document.activeElement)); presses++) {
    if (presses === 40) throw new Error(`40 presses of Tab did not reach the link ${await link.textContent()}`);
    await page.keyboard.press('Tab');
  }
  const focus = await link.evaluate((element) => ({
    visible: element.matches(':focus-visible'),
    outline: getComputedStyle(element).outlineStyle,
    box: element.getBoundingClientRect().height > 0,
  }));
  expect(focus).toEqual({ visible: true, outline: expect.not.stringMatching(/^none$/), box: true });
  await page.keyboard.press('Enter');
  await page.waitForURL(url, { waitUntil: 'load' });
}

/**
 * On the spaces list: opens the space titled `title` (its link in the table) and checks its page:
 * headed and named with the title, its type and last activity as the list row said, a caption
 * that counts the people listed, everyone a Moderator or a Member, and a direct space two people
 * and no moderators. `expected` adds what the caller knows of this space. Returns the page read.
 */
export async function openSpace(
  suite: SandboxBrowser,
  title: string,
  expected: Partial<SpaceView> = {},
  by: Moving = 'click',
): Promise<SpaceView> {
  const { page } = suite;
  const rows = await roomRowsOf(page, { title });
  expect(rows).toHaveLength(1);
  const [row] = rows;
  const link = page.locator('tbody').getByRole('link', { name: title, exact: true });
  const href = (await link.getAttribute('href')) ?? '';
  expect(href).toMatch(/^\/spaces\/[A-Za-z0-9_-]+$/);

  await follow(page, link, pathOn(suite.origin, href), by);
  await expectServicePage(suite, H1.space(title));
  expect(await page.title()).toBe(`${title} · Webex Integration example`);

  const space = await spaceOf(page);
  expect(space.type.split(',')[0]).toBe(row.type);
  expect(space.lastActivity).toBe(row.datetime);
  expect(space.created).not.toBeNull();
  expect(space.caption).toBe(`${space.people.length.toLocaleString('en-GB')} people in this space`);
  expect(space.people.filter((person) => !['Moderator', 'Member'].includes(person.role))).toEqual([]);
  if (row.type === 'Direct') {
    expect(space.people).toHaveLength(2);
    expect(space.people.map((person) => person.role)).toEqual(['Member', 'Member']);
  }
  expect(space).toEqual(expect.objectContaining(expected));
  return space;
}

/** From a space page, its "Back to your spaces" link; ends on the spaces list, checked. */
export async function backToSpaces(suite: SandboxBrowser, by: Moving = 'click'): Promise<void> {
  const { page } = suite;
  const link = page.getByRole('main').getByRole('link', { name: 'Back to your spaces', exact: true });
  await follow(page, link, pathOn(suite.origin, '/listrooms'), by);
  await expectServicePage(suite, H1.spaces);
}
