import { useSuiteApp } from './support/suite';
import { signIn } from './support/flow';
import { textOf } from './support/html';

describe('Return to the page asked for after sign-in', () => {
  const suite = useSuiteApp();

  it.each(['/listrooms', '/listrooms?sort=latest'])(
    'says a signed-out visit to %s needs sign-in, then lands there after sign-in',
    async (path) => {
      const agent = suite.booted.agent();

      const refused = await agent.get(path);
      expect(refused.status).toBe(303);
      expect(refused.headers.location).toBe(`/?next=${encodeURIComponent(path)}`);
      // Nothing is stored for a signed-out visit: no session cookie.
      expect(refused.headers['set-cookie']).toBeUndefined();
      const home = await agent.get(refused.headers.location);
      expect(textOf(home.text)).toContain('Please sign in to see that page.');
      // As the browser reads the attribute (Handlebars escapes = and &).
      const loginPath = /href="(\/login\?next[^"]+)"/
        .exec(home.text)?.[1]
        .replace(/&#x3D;/g, '=')
        .replace(/&amp;/g, '&');
      expect(loginPath).toBe(`/login?next=${encodeURIComponent(path)}`);

      const callback = await signIn(agent, suite.emulator, 'alice', { loginPath });
      expect(callback.status).toBe(303);
      expect(callback.headers.location).toBe(path);
      expect((await agent.get(path)).status).toBe(200);
    },
  );

  it('goes home after a sign-in that was not sent from another page', async () => {
    const callback = await signIn(suite.booted.agent(), suite.emulator, 'alice');

    expect(callback.headers.location).toBe('/');
  });

  it('says the notice only on the home page it was sent to', async () => {
    const agent = suite.booted.agent();
    await agent.get('/listrooms');

    expect(textOf((await agent.get('/')).text)).not.toContain('Please sign in to see that page.');
  });

  it.each([
    '//evil.test/listrooms',
    '/\\evil.test',
    '/%2F%2Fevil.test',
    '/%5Cevil.test',
    '/%252F%252Fevil.test',
    '/listrooms/..%2F..%2F%2Fevil.test',
    '/spaces/%2F%2Fevil.test',
    '/spaces/..%5C..%5Cevil.test',
  ])('never sends the person off-site after a signed-out visit to %s', async (path) => {
    const agent = suite.booted.agent();
    const refused = await agent.get(path);
    const location = String(refused.headers.location ?? '/');
    expect(new URL(location, 'http://service.test').origin).toBe('http://service.test');
    const next = new URL(location, 'http://service.test').searchParams.get('next');

    // Whether the page sent it or a link made by someone else does, /login?next= is checked again.
    const callback = await signIn(agent, suite.emulator, 'alice', {
      loginPath: `/login?next=${encodeURIComponent(next ?? path)}`,
    });

    expect(callback.status).toBe(303);
    const landing = String(callback.headers.location);
    expect(landing.startsWith('/')).toBe(true);
    expect(landing).toMatch(/^\/(?![\\/])/);
    expect(decodeURIComponent(decodeURIComponent(landing))).not.toMatch(/^\/[\\/]/);
    expect(new URL(landing, 'http://service.test').origin).toBe('http://service.test');
  });
});
