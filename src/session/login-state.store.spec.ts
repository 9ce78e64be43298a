import { MemoryLoginStateStore } from './login-state.store';

describe(MemoryLoginStateStore.name, () => {
  afterEach(() => jest.useRealTimers());
  const pending = { browserId: 'b', codeVerifier: 'v', createdAt: 0 };

  it('hands a state out once', async () => {
    const store = new MemoryLoginStateStore();
    await store.put('s', pending, 600);
    const results = await Promise.all([store.take('s'), store.take('s')]);
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('keeps parallel sign-ins apart', async () => {
    const store = new MemoryLoginStateStore();
    await store.put('s1', { ...pending, codeVerifier: 'v1' }, 600);
    await store.put('s2', { ...pending, codeVerifier: 'v2' }, 600);
    expect((await store.take('s2'))?.codeVerifier).toBe('v2');
    expect((await store.take('s1'))?.codeVerifier).toBe('v1');
  });

  it('forgets a state after its lifetime', async () => {
    jest.useFakeTimers({ now: Date.now() });
    const store = new MemoryLoginStateStore();
    await store.put('s', pending, 30);
    jest.advanceTimersByTime(31_000);
    expect(await store.take('s')).toBeUndefined();
  });
});
