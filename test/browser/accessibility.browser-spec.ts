import AxeBuilder from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { SandboxModeService } from '../../src/sandbox-mode/sandbox-mode.service';
import { SEED_USER_HANDLES } from '../../src/sandbox';
import type { SeedHandle } from '../support/emulator';
import { pathsOf, renderedRoutes } from './support/router-pages';
import { screenshot, useSandboxBrowser, type SandboxBrowser } from './support/sandbox-browser';
import {
  clickThrough,
  decide,
  expectConsentPage,
  expectServicePage,
  H1,
  openConsent,
  openSpace,
  pathOn,
} from './support/pages';

/** WCAG 2.0/2.1 A and AA, and axe's best practices. */
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];

type Scheme = 'light' | 'dark';
const LAYOUTS: [Scheme, number][] = [
  ['light', 1280],
  ['dark', 1280],
  ['light', 375],
  ['dark', 375],
  // WCAG 2.1's reflow width (1.4.10): the narrowest a page must work at without sideways scrolling.
  ['light', 320],
  ['dark', 320],
];

/** Axe on the page as it stands; a violation names its rule, the elements and the page. */
async function expectAccessible(page: Page, where: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
  const found = violations.flatMap((violation) =>
    violation.nodes.map(
      (node) => `${where} (${page.url()}): ${violation.id} at ${node.target.join(' ')}: ${node.failureSummary ?? ''}`,
    ),
  );
  expect(found).toEqual([]);
  const width = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
  }));
  if (width.scroll > width.client)
    throw new Error(`${where} (${page.url()}) scrolls sideways: ${JSON.stringify(width)}`);
}

async function servicePage(suite: SandboxBrowser, path: string, h1: string, status = 200): Promise<void> {
  if (status !== 200) suite.watch.expectDocumentStatus(path.split('?')[0], status);
  await suite.page.goto(`${suite.origin}${path}`);
  await expectServicePage(suite, h1);
}

describe('Accessibility (axe: WCAG 2.1 A/AA and best practices)', () => {
  const suite = useSandboxBrowser();

  async function layout(scheme: Scheme, width: number): Promise<void> {
    await suite.page.setViewportSize({ width, height: 800 });
    await suite.page.emulateMedia({ colorScheme: scheme });
  }

  /** Signs in as `handle` and checks every page the router renders (router-pages.ts), with every value of its parameter. */
  async function walkEveryPage(handle: SeedHandle): Promise<void> {
    const routes = renderedRoutes(suite.app.app);
    expect(routes).toEqual(expect.arrayContaining(['/', '/listrooms', '/logout', '/spaces/:roomId', '/teams']));
    await openConsent(suite);
    await decide(suite, handle, 'Accept');
    await expectServicePage(suite, H1.authenticated);
    for (const route of routes) {
      for (const path of pathsOf(route, handle)) {
        await suite.page.goto(`${suite.origin}${path}`);
        await expectServicePage(suite, /^Webex Integration example: /);
        // The page itself, not the home page a signed-out visit would be sent to.
        expect(decodeURIComponent(new URL(suite.page.url()).pathname)).toBe(decodeURIComponent(path));
        await expectAccessible(suite.page, `${route} as ${handle} (${path})`);
      }
    }
  }

  it.each(LAYOUTS)(
    'every page the suite visits passes in %s at %i px, with no sideways scroll',
    async (scheme, width) => {
      const { page } = suite;
      await layout(scheme, width);

      await servicePage(suite, '/', H1.home);
      await expectAccessible(page, 'signed-out home');
      await screenshot(page, `a11y-home-${scheme}-${width}`);
      await servicePage(suite, '/no-such-page', H1.error, 404);
      await expectAccessible(page, 'not found');
      await servicePage(suite, '/oauth', H1.error, 400);
      await expectAccessible(page, 'callback without code');
      await servicePage(suite, '/oauth?error=server_error&state=x', H1.error, 400);
      await expectAccessible(page, 'callback server_error');
      await servicePage(suite, '/oauth?code=c&state=forged', H1.error, 400);
      await expectAccessible(page, 'callback state mismatch');

      await openConsent(suite);
      await expectAccessible(page, 'consent page');
      suite.watch.expectDocumentStatus('/oauth', 403);
      await decide(suite, 'alice', 'Decline');
      await expectServicePage(suite, H1.error);
      await expectAccessible(page, 'declined sign-in');

      // Login with Webex refusing an id_token the emulator was told to get wrong.
      const emulator = suite.app.app.get(SandboxModeService).running!.controls;
      emulator.setIdTokenFault('expired');
      await openConsent(suite);
      suite.watch.expectDocumentStatus('/oauth', 400);
      await decide(suite, 'alice', 'Accept', true);
      await expectServicePage(suite, H1.error);
      expect(await page.getByRole('alert').textContent()).toMatch(/We could not verify your sign-in with Webex/);
      await expectAccessible(page, 'sign-in not verified');
      emulator.setIdTokenFault(undefined);

      // Every page the router renders (each @Render route), every space of hers: Alice's, in each layout.
      await walkEveryPage('alice');
      await servicePage(suite, '/listrooms', H1.spaces);
      await screenshot(page, `a11y-spaces-${scheme}-${width}`);
      await openSpace(suite, 'Release Planning');
      await expectAccessible(page, 'space page reached by its link');
      // The pages for Webex's failures, as the emulator answers them on the spaces list.
      const webex = suite.app.app.get(SandboxModeService).running!.controls;
      for (const [fault, status, where] of [
        [{ kind: 'status', status: 403 }, 403, 'Webex refused (403)'],
        [{ kind: 'rate-limit', retryAfterSeconds: 600 }, 503, 'Webex rate limit (429)'],
        [{ kind: 'status', status: 500 }, 502, 'Webex failed (5xx)'],
        [{ kind: 'non-json' }, 502, 'Webex answered garbage'],
      ] as const) {
        webex.injectFault({ route: 'rooms', times: 10, ...fault });
        await servicePage(suite, '/listrooms', H1.error, status);
        await expectAccessible(page, where);
        webex.reset();
      }
      await servicePage(suite, '/logout', H1.logout);
      await expectAccessible(page, 'logout page');
    },
    120_000,
  );

  // The other seeded people: Bob (no spaces), Carol (2,600: the longest list and a spread of her spaces), Mallory (markup in every name).
  it.each(LAYOUTS.filter(([, width]) => width !== 320))(
    'every page the router renders passes for every other seeded person and their spaces, in %s at %i px',
    async (scheme, width) => {
      await layout(scheme, width);
      for (const handle of SEED_USER_HANDLES.filter((other) => other !== 'alice')) {
        await suite.page.context().clearCookies();
        await walkEveryPage(handle);
      }
    },
    300_000,
  );

  it('signed out, a page that needs sign-in says so and leads back after sign-in', async () => {
    const { page } = suite;
    await page.goto(`${suite.origin}/listrooms`);
    await expectServicePage(suite, H1.home);
    expect(await page.getByRole('status').textContent()).toContain('Please sign in to see that page.');
    await expectAccessible(page, 'home with the sign-in notice');
    await clickThrough(
      page,
      page.getByRole('link', { name: 'Start OAuth flow' }),
      pathOn(suite.emulatorOrigin, '/v1/authorize'),
    );
    await expectConsentPage(suite);
    await page.locator('input[name=user][value=alice]').check();
    await clickThrough(
      page,
      page.getByRole('button', { name: 'Accept', exact: true }),
      pathOn(suite.origin, '/listrooms'),
    );
    await expectServicePage(suite, H1.spaces);
  });

  it('reaches sign-in, the spaces list, a space and logout with the keyboard alone', async () => {
    const { page } = suite;
    await page.goto(`${suite.origin}/`);
    await expectServicePage(suite, H1.home);

    /** Tab until the element named has the focus, visibly, then Enter. */
    async function tabTo(name: string, role: 'link' | 'button', url: RegExp): Promise<void> {
      const target = page.getByRole(role, { name, exact: true }).first();
      for (let presses = 0; !(await target.evaluate((element) => element === document.activeElement)); presses++) {
        if (presses === 60) throw new Error(`60 presses of Tab did not reach the ${role} "${name}" on ${page.url()}`);
        await page.keyboard.press('Tab');
      }
      expect(await target.evaluate((element) => getComputedStyle(element).outlineStyle)).not.toBe('none');
      await Promise.all([page.waitForURL(url, { waitUntil: 'load' }), page.keyboard.press('Enter')]);
    }

    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');

    await tabTo('Start OAuth flow', 'link', pathOn(suite.emulatorOrigin, '/v1/authorize'));
    await expectConsentPage(suite);
    await tabTo('Accept', 'button', pathOn(suite.origin, '/'));
    await expectServicePage(suite, H1.authenticated);
    await tabTo('List my rooms (spaces)', 'link', pathOn(suite.origin, '/listrooms'));
    await expectServicePage(suite, H1.spaces);
    await tabTo('Release Planning', 'link', /\/spaces\/[A-Za-z0-9_-]+$/);
    await expectServicePage(suite, H1.space('Release Planning'));
    await tabTo('Log out', 'link', pathOn(suite.origin, '/logout'));
    await expectServicePage(suite, H1.logout);
    await tabTo('Log out', 'button', pathOn(suite.origin, '/'));
    await expectServicePage(suite, H1.home);
  });
});
