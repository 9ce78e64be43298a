import { ExpiringStore } from './expiring-store';

describe(ExpiringStore.name, () => {
  it('sweeps entries that have expired', () => {
    const store = new ExpiringStore<{ expiresAt: number }>(10);
    store.set('old', { expiresAt: 1_000 });
    store.set('new', { expiresAt: 3_000 });

    expect(store.sweep(2_000)).toBe(1);
    expect(store.get('old')).toBeUndefined();
    expect(store.get('new')).toBeDefined();
  });

  it('uses its own idea of dead', () => {
    const store = new ExpiringStore<{ expiresAt: number; revoked: boolean }>(10, (v) => v.revoked);
    store.set('a', { expiresAt: 0, revoked: false });
    store.set('b', { expiresAt: Infinity, revoked: true });

    store.sweep();
    expect([store.get('a') !== undefined, store.get('b') !== undefined]).toEqual([true, false]);
  });

  it('over its cap, drops dead entries first, then the oldest live ones down to 90 %', () => {
    const store = new ExpiringStore<{ expiresAt: number }>(10);
    const far = Date.now() + 60_000;
    store.set('dead', { expiresAt: 0 });
    for (let i = 0; i < 9; i++) store.set(`live${i}`, { expiresAt: far });
    expect(store.size).toBe(10);

    store.set('live9', { expiresAt: far });

    expect(store.size).toBe(9);
    expect(store.get('dead')).toBeUndefined();
    expect(store.get('live0')).toBeUndefined();
    expect(store.get('live1')).toBeDefined();
    expect(store.get('live9')).toBeDefined();
  });
});
