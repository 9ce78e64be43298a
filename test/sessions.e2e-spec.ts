import { useSuiteApp } from './support/suite';

/** Only a sign-in starts a session; every other request without the cookie has none (and costs none). */
describe('when a session is started', () => {
  const suite = useSuiteApp();

  it.each([
    ['GET', '/'],
    ['GET', '/index.html'],
    ['GET', '/logout'],
    ['POST', '/logout'],
    ['GET', '/listrooms'],
    ['GET', '/oauth?code=c&state=s'],
    ['GET', '/no-such-page'],
    ['GET', '/api/v1/session'],
    ['POST', '/api/v1/logout'],
  ])('starts no session on %s %s without one, and answers below 500', async (method, path) => {
    const response = await suite.booted.request()[method === 'GET' ? 'get' : 'post'](path);
    expect(response.status).toBeLessThan(500);
    // Logout may clear the cookie (an empty value); nothing may hand out a session id.
    const cookies = [response.headers['set-cookie'] ?? []].flat();
    expect(cookies.filter((cookie) => /^wxo\.sid=[^;]/.test(cookie))).toEqual([]);
  });

  it('treats a forged or stale cookie as none: the page answers signed out and hands out no session', async () => {
    const response = await suite.booted.request().get('/').set('Cookie', 'wxo.sid=s%3Aforged-id.bad-signature');
    expect(response.status).toBe(200);
    expect(response.text).toContain('Start OAuth flow');
    expect(response.headers['set-cookie']).toBeUndefined();
  });

  it.each(['/login', '/LOGIN', '/login/'])('starts a session on GET and HEAD %s', async (path) => {
    for (const response of [await suite.booted.request().get(path), await suite.booted.request().head(path)]) {
      expect(response.status).toBe(302);
      expect(String(response.headers['set-cookie'])).toMatch(/^wxo\.sid=/);
    }
  });
});
