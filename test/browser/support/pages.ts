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
export async function expectServicePage(suite: SandboxBrowser, h1: string): Promise<void> {
  const { page } = suite;
  await page.waitForLoadState('load');
  expect(new URL(page.url()).origin).toBe(suite.origin);
  expect((await page.locator('h1').textContent())?.trim()).toBe(h1);

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
  }));
  expect(styles.sheets).toEqual([
    { href: '/static/water.css', loaded: true },
    { href: '/static/app.css', loaded: true },
  ]);
  expect(styles.bodyMaxWidth).toBe('800px');
  expect(styles.bannerBackground).toBe('rgb(254, 243, 199)');

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

/** On the consent page: pick a seeded person and press Accept or Decline; waits for the service's answer. */
export async function decide(suite: SandboxBrowser, handle: SeedHandle, decision: 'Accept' | 'Decline'): Promise<void> {
  const { page } = suite;
  await page.locator(`input[name=user][value=${handle}]`).check();
  const landing = decision === 'Accept' ? pathOn(suite.origin, '/') : pathOn(suite.origin, '/oauth');
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

export function roomRowsOf(page: Page): Promise<RoomRow[]> {
  return page.locator('tbody tr').evaluateAll((rows) =>
    rows.map((row) => {
      const cells = row.querySelectorAll('td');
      const time = row.querySelector('time');
      return {
        title: cells[0]?.textContent ?? '',
        type: cells[1]?.textContent ?? '',
        datetime: time?.getAttribute('datetime') ?? null,
        label: time?.textContent ?? '',
      };
    }),
  );
}
