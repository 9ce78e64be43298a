import { useSandboxBrowser } from './support/sandbox-browser';
import { signInAs } from './support/pages';

describe('The API reference page (/api/docs) and the API from a page of the same origin', () => {
  const suite = useSandboxBrowser();

  it('renders Swagger UI from the service’s own files, under its CSP, with every operation', async () => {
    const { page } = suite;

    await page.goto(`${suite.origin}/api/docs`);
    // Not a layout page: checked here rather than by expectServicePage.
    suite.watch.checkedDocuments.push(page.url());

    await page.locator('.swagger-ui .info .title').waitFor();
    expect(await page.locator('.swagger-ui .info .title').textContent()).toMatch(/^webex-oauth-service API/);
    expect(await page.locator('.opblock-summary-path').allTextContents()).toEqual([
      '/api/v1/session',
      '/api/v1/logout',
      '/api/v1/me',
      '/api/v1/spaces',
      '/api/v1/spaces/{roomId}',
    ]);
    // The cookie security scheme is offered (Authorize button).
    expect(await page.getByRole('button', { name: /Authorize/ }).count()).toBeGreaterThan(0);
  });

  it('lets "Try it out" call GET /api/v1/session with the browser’s cookie', async () => {
    const { page } = suite;
    await signInAs(suite, 'alice');
    await page.goto(`${suite.origin}/api/docs#/session/getSession`);
    suite.watch.checkedDocuments.push(`${suite.origin}/api/docs`);

    await page.getByRole('button', { name: 'Try it out' }).click();
    await page.getByRole('button', { name: 'Execute' }).click();

    const body = page.locator('.live-responses-table .response-col_description pre').first();
    await body.waitFor();
    expect(await body.textContent()).toContain('"displayName": "Alice Sandbox"');
  });

  it('answers a same-origin fetch with the session cookie, and a POST signs out', async () => {
    const { page } = suite;
    await signInAs(suite, 'alice');

    const answers = await page.evaluate(async () => {
      const session = (await (await fetch('/api/v1/session')).json()) as { signedIn: boolean };
      const spaces = (await (await fetch('/api/v1/spaces?limit=2')).json()) as {
        items: unknown[];
        nextCursor?: string;
      };
      const logout = await fetch('/api/v1/logout', { method: 'POST' });
      const after = (await (await fetch('/api/v1/session')).json()) as { signedIn: boolean };
      return {
        signedIn: session.signedIn,
        spaces: spaces.items.length,
        more: Boolean(spaces.nextCursor),
        logout: logout.status,
        after: after.signedIn,
      };
    });

    expect(answers).toEqual({ signedIn: true, spaces: 2, more: true, logout: 204, after: false });
  });
});
