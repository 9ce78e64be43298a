import type { SessionData } from 'express-session';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BoundedMemoryStore } from './bounded-memory.store';
import { MemoryGrantStore } from './memory-grant.store';
import { TokenCipher } from './token-cipher';

const get = (store: BoundedMemoryStore, sid: string) =>
  new Promise<SessionData | null | undefined>((resolve) => store.get(sid, (_e, s) => resolve(s)));
const session = { cookie: { originalMaxAge: null }, notice: 'kept' } as unknown as SessionData;

describe('development persistence', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'wxo-dev-'))));
  afterEach(() => {
    jest.useRealTimers();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps sessions across a restart of the store', async () => {
    const file = join(dir, 'sessions.json');
    const before = new BoundedMemoryStore({ max: 10, ttlSeconds: 60, persistFile: file });
    before.set('sid-1', session);
    before.flush();
    const after = new BoundedMemoryStore({ max: 10, ttlSeconds: 60, persistFile: file });
    await expect(get(after, 'sid-1')).resolves.toMatchObject({ notice: 'kept' });
  });

  it('saves by itself shortly after a change', async () => {
    const file = join(dir, 'sessions.json');
    new BoundedMemoryStore({ max: 10, ttlSeconds: 60, persistFile: file }).set('sid-1', session);
    await new Promise((resolve) => setTimeout(resolve, 250));
    await expect(
      get(new BoundedMemoryStore({ max: 10, ttlSeconds: 60, persistFile: file }), 'sid-1'),
    ).resolves.toBeTruthy();
  });

  it('does not bring back a session that expired while the service was down', async () => {
    jest.useFakeTimers({ now: Date.now() });
    const file = join(dir, 'sessions.json');
    const before = new BoundedMemoryStore({ max: 10, ttlSeconds: 60, persistFile: file });
    before.set('sid-1', session);
    before.flush();
    jest.setSystemTime(Date.now() + 61_000);
    await expect(
      get(new BoundedMemoryStore({ max: 10, ttlSeconds: 60, persistFile: file }), 'sid-1'),
    ).resolves.toBeNull();
  });

  it('starts empty from a broken file', async () => {
    const file = join(dir, 'sessions.json');
    writeFileSync(file, '{not json');
    await expect(get(new BoundedMemoryStore({ max: 10, ttlSeconds: 60, persistFile: file }), 'x')).resolves.toBeNull();
  });

  it('keeps grants sealed on disk too', async () => {
    const file = join(dir, 'grants.json');
    const options = {
      cipher: new TokenCipher([Buffer.alloc(32, 3)]),
      ttlMs: 60_000,
      refreshWaitMs: 1000,
      max: 10,
      persistFile: file,
    };
    const before = new MemoryGrantStore(options);
    await before.save('g', {
      accessToken: 'access-xyz',
      refreshToken: 'refresh-xyz',
      accessTokenExpiresAt: Date.now() + 1e6,
      version: 1,
    });
    before.flush();
    expect(readFileSync(file, 'utf8')).not.toContain('access-xyz');
    await expect(new MemoryGrantStore(options).get('g')).resolves.toMatchObject({ refreshToken: 'refresh-xyz' });
  });
});
