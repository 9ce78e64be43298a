import express, { type Express } from 'express';
import request from 'supertest';
import { signedOutHomeMiddleware } from './signed-out-home';

const PAGE = '<!doctype html><h1>Webex Integration example: Home</h1>';

/** The middleware in front of a stand-in for the Nest pipeline, which answers 418 with a marker. */
function appWith(render: Pick<Express, 'render'>['render']) {
  const app = express();
  app.use(signedOutHomeMiddleware({ render }, { cookieName: 'wxo.sid', canonicalHostname: '127.0.0.1' }));
  app.use((_req, res) => void res.status(418).send('the pipeline'));
  return app;
}

function rendering(html: string | Error) {
  return jest.fn((_view: string, _locals: object, done: (error: Error | null, html?: string) => void) =>
    html instanceof Error ? done(html) : done(null, html),
  ) as unknown as jest.Mock & Pick<Express, 'render'>['render'];
}

describe(signedOutHomeMiddleware.name, () => {
  it('answers / and /index.html itself, from one rendering of the index view', async () => {
    const render = rendering(PAGE);
    const app = appWith(render);

    const answers = await Promise.all(
      ['/', '/index.html', '/?utm_source=mail', '/'].map((path) => request(app).get(path)),
    );

    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.text).toBe(PAGE);
      expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(answer.headers['cache-control']).toBe('no-store');
      expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(PAGE));
    }
    expect(render).toHaveBeenCalledTimes(1);
    expect(render).toHaveBeenCalledWith('index', { title: 'Home' }, expect.any(Function));
  });

  it('answers HEAD with the headers and no body', async () => {
    const answer = await request(appWith(rendering(PAGE))).head('/');

    expect(answer.status).toBe(200);
    expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(PAGE));
    expect(answer.text).toBeUndefined();
  });

  it.each([
    [
      'a request with the session cookie',
      () => ({ method: 'get', path: '/', headers: { Cookie: 'a=1; wxo.sid=s%3Ax.y' } }),
    ],
    ['another host name', () => ({ method: 'get', path: '/', headers: { Host: 'localhost:8080' } })],
    ['a POST', () => ({ method: 'post', path: '/', headers: {} })],
    ['another page', () => ({ method: 'get', path: '/login', headers: {} })],
    ['a path that only looks like home', () => ({ method: 'get', path: '/index.htm', headers: {} })],
  ] as const)('leaves %s to the pipeline', async (_case, build) => {
    const { method, path, headers } = build();
    const render = rendering(PAGE);

    const client = request(appWith(render));
    const answer = await (method === 'post' ? client.post(path) : client.get(path)).set(headers);

    expect(answer.status).toBe(418);
    expect(render).not.toHaveBeenCalled();
  });

  it('leaves the page to the pipeline (and its error page) when the view does not render', async () => {
    const answer = await request(appWith(rendering(new Error('no such view')))).get('/');

    expect(answer.status).toBe(418);
  });
});
