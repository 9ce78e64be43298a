import express, { type RequestHandler } from 'express';
import session, { Store } from 'express-session';
import request from 'supertest';
import { BoundedMemoryStore } from './bounded-memory.store';
import { forSessionCookie, sessionOptions } from './session.module';
import { SessionService } from './session.service';
import { StoreUnavailableError } from './store-unavailable.error';

const COOKIE = 'wxo.sid';

/** The session middleware as SessionModule mounts it, a page that starts a session and one that only looks. */
function appWith(store: Store) {
  const config = { cookieName: COOKIE, secrets: ['a-test-secret-of-enough-length-000'], secureCookie: false };
  const expressSession: RequestHandler = session(sessionOptions(config, store));
  const sessions = new SessionService({ ...config, absoluteTimeoutSeconds: 3600 } as never, expressSession);
  const app = express();
  app.use(forSessionCookie(COOKIE, expressSession));
  app.get('/look', (req, res) => {
    res.json({ hasSession: req.session !== undefined, visits: req.session?.notice ?? null });
  });
  app.get('/start', (req, res, next) => {
    sessions
      .start(req, res)
      .then((started) => {
        started.notice = `${Number(started.notice ?? 0) + 1}`;
        res.json({ visits: started.notice });
      })
      .catch(next);
  });
  app.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(error instanceof StoreUnavailableError ? 503 : 500).json({ error: error.name });
  });
  return app;
}

describe('sessions start only where a handler starts one', () => {
  it('gives a visitor without the cookie no session and no cookie, and asks the store nothing', async () => {
    const store = new BoundedMemoryStore({ max: 10, ttlSeconds: 60 });
    const get = jest.spyOn(store, 'get');
    const response = await request(appWith(store)).get('/look').set('Cookie', 'other=1');
    expect(response.body).toEqual({ hasSession: false, visits: null });
    expect(response.headers['set-cookie']).toBeUndefined();
    expect(get).not.toHaveBeenCalled();
  });

  it('starts a session for a visitor without one, and finds it again by its cookie on any page', async () => {
    const agent = request.agent(appWith(new BoundedMemoryStore({ max: 10, ttlSeconds: 60 })));
    const first = await agent.get('/start');
    expect(first.body).toEqual({ visits: '1' });
    expect(String(first.headers['set-cookie'])).toMatch(/^wxo\.sid=s%3A/);
    expect((await agent.get('/look')).body).toEqual({ hasSession: true, visits: '1' });
    expect((await agent.get('/start')).body).toEqual({ visits: '2' });
  });

  it('treats a forged cookie as no session: a new one is started, the forged id is not used', async () => {
    const store = new BoundedMemoryStore({ max: 10, ttlSeconds: 60 });
    const app = appWith(store);
    const forged = `${COOKIE}=s%3Aattacker-chosen-id.not-a-signature`;
    expect((await request(app).get('/look').set('Cookie', forged)).body.visits).toBeNull();
    const started = await request(app).get('/start').set('Cookie', forged);
    expect(started.body).toEqual({ visits: '1' });
    expect(String(started.headers['set-cookie'])).not.toContain('attacker-chosen-id');
  });

  it('answers 503, not a crash, when the store is disconnected at the moment a session must start', async () => {
    const store = new BoundedMemoryStore({ max: 10, ttlSeconds: 60 });
    const app = appWith(store);
    store.emit('disconnect');
    const response = await request(app).get('/start');
    expect(response.status).toBe(503);
    expect(response.body).toEqual({ error: 'StoreUnavailableError' });
  });
});
