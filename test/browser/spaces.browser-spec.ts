import { useSandboxBrowser } from './support/sandbox-browser';
import { clickThrough, expectServicePage, H1, openSpaces, pathOn, roomRowsOf, signInAs } from './support/pages';

describe('Spaces list edge cases in a real browser (sandbox mode)', () => {
  const suite = useSandboxBrowser();

  it("tells Bob he is in no spaces, then logs him out with the greeting page's button", async () => {
    const { page } = suite;
    await signInAs(suite, 'bob');

    await openSpaces(suite);
    expect(await page.getByText('You are not in any spaces yet.').isVisible()).toBe(true);
    expect(await page.locator('table').count()).toBe(0);

    await clickThrough(page, page.getByRole('link', { name: 'Back home' }), pathOn(suite.origin, '/'));
    await expectServicePage(suite, H1.authenticated);
    await clickThrough(
      page,
      page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Log out' }),
      pathOn(suite.origin, '/logout'),
    );
    await expectServicePage(suite, H1.logout);
    await clickThrough(page, page.getByRole('button', { name: 'Log out' }), pathOn(suite.origin, '/'));
    await expectServicePage(suite, H1.home);
    expect(await page.getByRole('link', { name: 'Start OAuth flow' }).isVisible()).toBe(true);
  });

  it("caps Carol's 2,600 spaces at 2,000, newest first, and says so", async () => {
    const { page } = suite;
    await signInAs(suite, 'carol');

    await openSpaces(suite);
    expect(await page.getByRole('status').textContent()).toMatch(
      /You are in more spaces than this page shows: here are the 2,?000 with the latest activity\./,
    );
    const rows = await roomRowsOf(page);
    expect(rows).toHaveLength(2000);
    const times = rows.map((row) => row.datetime ?? '');
    expect([...times].sort().reverse()).toEqual(times);
  });
});
