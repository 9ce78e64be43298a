import type { SessionData } from 'express-session';
import { BoundedMemoryStore } from './bounded-memory.store';

const sessionFor = (ttlMs: number, extra: Partial<SessionData> = {}) => ({
  cookie: { expires: new Date(Date.now() + ttlMs), originalMaxAge: ttlMs },
  ...extra,
});

const get = (store: BoundedMemoryStore, sid: string) =>
  new Promise<SessionData | null | undefined>((resolve) => store.get(sid, (_e, s) => resolve(s)));

describe(BoundedMemoryStore.name, () => {
  afterEach(() => jest.useRealTimers());

  it('keeps a copy, so changing a loaded session changes nothing until it is saved', async () => {
    const store = new BoundedMemoryStore({ max: 10, ttlSeconds: 60 });
    store.set('a', sessionFor(60_000, { notice: 'hello' }));
    const loaded = await get(store, 'a');
    loaded!.notice = 'changed';
    expect((await get(store, 'a'))?.notice).toBe('hello');
  });

  it('never holds more than max sessions, dropping the least recently used', async () => {
    const store = new BoundedMemoryStore({ max: 3, ttlSeconds: 60 });
    for (const sid of ['a', 'b', 'c']) store.set(sid, sessionFor(60_000));
    await get(store, 'a');
    store.set('d', sessionFor(60_000));
    expect(store.size).toBe(3);
    expect(await get(store, 'b')).toBeNull();
    expect(await get(store, 'a')).not.toBeNull();
  });

  it('expires a session when its cookie expires, and touching does not bring it back', async () => {
    jest.useFakeTimers({ now: Date.now() });
    const store = new BoundedMemoryStore({ max: 10, ttlSeconds: 3600 });
    store.set('a', sessionFor(1000));
    jest.advanceTimersByTime(1500);
    expect(await get(store, 'a')).toBeNull();
    store.touch('a', sessionFor(60_000));
    expect(await get(store, 'a')).toBeNull();
  });

  it('pushes the expiry out when touched before it passes', async () => {
    jest.useFakeTimers({ now: Date.now() });
    const store = new BoundedMemoryStore({ max: 10, ttlSeconds: 3600 });
    store.set('a', sessionFor(1000));
    jest.advanceTimersByTime(800);
    store.touch('a', sessionFor(1000));
    jest.advanceTimersByTime(800);
    expect(await get(store, 'a')).not.toBeNull();
  });

  it('forgets a destroyed session', async () => {
    const store = new BoundedMemoryStore({ max: 10, ttlSeconds: 60 });
    store.set('a', sessionFor(60_000));
    store.destroy('a');
    expect(await get(store, 'a')).toBeNull();
  });
});
