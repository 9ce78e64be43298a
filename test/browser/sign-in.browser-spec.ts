import { useSandboxBrowser, screenshot } from './support/sandbox-browser';
import {
  clickThrough,
  decide,
  expectConsentPage,
  expectServicePage,
  greetingOf,
  H1,
  openConsent,
  pathOn,
  roomRowsOf,
  openSpaces,
} from './support/pages';

/** Alice's spaces as the emulator seeds them, latest activity first. */
const ALICE_SPACES = [
  'Sandbox Team Standup',
  'Dave Example',
  'Release Planning',
  'Random',
  'Coffee Chat',
  'Design Reviews',
  'Erin Example',
];

describe('Sign-in in a real browser (sandbox mode)', () => {
  const suite = useSandboxBrowser();

  it('walks the whole flow: consent as Alice, greeting, her spaces, logout through the header link', async () => {
    const { page } = suite;
    await page.goto(`${suite.origin}/`);
    await expectServicePage(suite, H1.home);
    await screenshot(page, '01-home');

    await clickThrough(
      page,
      page.getByRole('link', { name: 'Start OAuth flow' }),
      pathOn(suite.emulatorOrigin, '/v1/authorize'),
    );
    await expectConsentPage(suite);
    await screenshot(page, '02-consent');

    await decide(suite, 'alice', 'Accept');
    await expectServicePage(suite, H1.authenticated);
    expect(await greetingOf(page)).toBe('So happy to meet, Alice Sandbox!');
    // Login with Webex (the sandbox's integration asks for openid email profile): the verified email too.
    expect(await page.locator('main').getByText('You signed in with Webex as').textContent()).toBe(
      'You signed in with Webex as alice@example.com.',
    );
    // One way to log out: the header's link (its page holds the POST form).
    expect(await page.locator('form[method=post][action="/logout"]').count()).toBe(0);
    await screenshot(page, '03-authenticated');

    await openSpaces(suite);
    const rows = await roomRowsOf(page);
    expect(rows.map((row) => row.title)).toEqual(ALICE_SPACES);
    const times = rows.map((row) => row.datetime);
    expect(times.every((time) => time !== null && !Number.isNaN(Date.parse(time)))).toBe(true);
    expect([...times].sort().reverse()).toEqual(times);
    await screenshot(page, '04-spaces');

    const nav = page.getByRole('navigation', { name: 'Main' });
    await clickThrough(page, nav.getByRole('link', { name: 'Log out' }), pathOn(suite.origin, '/logout'));
    await expectServicePage(suite, H1.logout);
    await screenshot(page, '05-logout');

    await clickThrough(page, page.getByRole('button', { name: 'Log out' }), pathOn(suite.origin, '/'));
    await expectServicePage(suite, H1.home);
    expect(await page.getByRole('link', { name: 'Start OAuth flow' }).isVisible()).toBe(true);
    expect(await nav.getByRole('link', { name: 'Log out' }).count()).toBe(0);
  });

  it('shows the "declined" error page (403) when the person declines on the consent page', async () => {
    const { page, watch } = suite;
    await openConsent(suite);
    watch.expectDocumentStatus('/oauth', 403);
    const callback = page.waitForResponse((response) => new URL(response.url()).pathname === '/oauth');

    await decide(suite, 'alice', 'Decline');

    expect((await callback).status()).toBe(403);
    await expectServicePage(suite, H1.error);
    expect(await page.getByRole('alert').textContent()).toMatch(/declined/);
    await screenshot(page, '06-declined');

    await clickThrough(page, page.getByRole('link', { name: 'Back home' }), pathOn(suite.origin, '/'));
    await expectServicePage(suite, H1.home);
    expect(await page.getByRole('link', { name: 'Start OAuth flow' }).isVisible()).toBe(true);
  });
});
