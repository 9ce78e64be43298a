import type { WebexTokens } from '../webex';
import { GrantGoneError } from './grant.store';
import { MemoryGrantStore } from './memory-grant.store';
import { TokenCipher } from './token-cipher';

const tokens = (n: number): WebexTokens => ({
  accessToken: `access-token-${n}`,
  refreshToken: `refresh-token-${n}`,
  accessTokenExpiresAt: Date.now() + 3_600_000,
});

describe(MemoryGrantStore.name, () => {
  let store: MemoryGrantStore;
  beforeEach(() => {
    store = new MemoryGrantStore({
      cipher: new TokenCipher([Buffer.alloc(32, 7)]),
      ttlMs: 60_000,
      refreshWaitMs: 2000,
      max: 100,
    });
  });

  it('keeps tokens sealed, never in plaintext', async () => {
    await store.save('g1', { ...tokens(1), version: 1 });
    const stored = store.dump().join('\n');
    expect(stored).not.toContain('access-token-1');
    expect(stored).not.toContain('refresh-token-1');
    await expect(store.get('g1')).resolves.toMatchObject({ accessToken: 'access-token-1', version: 1 });
  });

  it('refreshes once for any number of concurrent callers, and all get the new tokens', async () => {
    await store.save('g1', { ...tokens(1), version: 1 });
    const seen = (await store.get('g1'))!;
    let calls = 0;
    const refresh = async () => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return tokens(2);
    };
    const results = await Promise.all(Array.from({ length: 25 }, () => store.refreshOnce('g1', seen, refresh)));
    expect(calls).toBe(1);
    expect(new Set(results.map((g) => g.refreshToken))).toEqual(new Set(['refresh-token-2']));
    await expect(store.get('g1')).resolves.toMatchObject({ refreshToken: 'refresh-token-2', version: 2 });
  });

  it('hands a late caller that saw an older version the newest grant without refreshing', async () => {
    await store.save('g1', { ...tokens(1), version: 1 });
    const seen = (await store.get('g1'))!;
    await store.refreshOnce('g1', seen, () => Promise.resolve(tokens(2)));
    const refresh = jest.fn();
    await expect(store.refreshOnce('g1', seen, refresh)).resolves.toMatchObject({ refreshToken: 'refresh-token-2' });
    expect(refresh).not.toHaveBeenCalled();
  });

  it('lets the next caller try again after a failed refresh', async () => {
    await store.save('g1', { ...tokens(1), version: 1 });
    const seen = (await store.get('g1'))!;
    await expect(store.refreshOnce('g1', seen, () => Promise.reject(new Error('webex down')))).rejects.toThrow(
      'webex down',
    );
    await expect(store.refreshOnce('g1', seen, () => Promise.resolve(tokens(2)))).resolves.toMatchObject({
      version: 2,
    });
  });

  it('says so when the grant is gone', async () => {
    await expect(
      store.refreshOnce('nope', { ...tokens(1), version: 1 }, () => Promise.resolve(tokens(2))),
    ).rejects.toBeInstanceOf(GrantGoneError);
  });
});
