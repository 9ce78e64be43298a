import { LRUCache } from 'lru-cache';
import { wallClock } from './bounded-memory.store';
import { FilePersistence } from './file-persistence';
import { atMostEntries } from './lru-bound';
import { GrantStore, type GrantStoreOptions } from './grant.store';

/** Grants for one process: bounded, expiring, with an in-process refresh lock. */
export class MemoryGrantStore extends GrantStore {
  private readonly cache: LRUCache<string, string>;
  private readonly locks = new Map<string, Promise<void>>();

  private readonly persistence?: FilePersistence<string>;

  constructor(options: GrantStoreOptions & { max: number; persistFile?: string }) {
    super(options);
    this.cache = new LRUCache<string, string>({ ...atMostEntries(options.max), ttl: options.ttlMs, perf: wallClock });
    if (options.persistFile) {
      this.persistence = new FilePersistence(this.cache, options.persistFile);
      this.persistence.load();
    }
  }

  /** Writes pending changes now (development persistence only). */
  flush(): void {
    this.persistence?.flush();
  }

  /** Every stored value, for specs that check nothing is kept in plaintext. */
  dump(): string[] {
    return [...this.cache.values()];
  }

  protected read(key: string): Promise<string | undefined> {
    return Promise.resolve(this.cache.get(key));
  }

  protected write(key: string, value: string, ttlMs: number): Promise<void> {
    this.cache.set(key, value, { ttl: ttlMs });
    this.persistence?.changed();
    return Promise.resolve();
  }

  protected remove(key: string): Promise<void> {
    this.cache.delete(key);
    this.persistence?.changed();
    return Promise.resolve();
  }

  protected tryLock(key: string): Promise<(() => Promise<void>) | undefined> {
    if (this.locks.has(key)) return Promise.resolve(undefined);
    let unlock!: () => void;
    this.locks.set(key, new Promise<void>((resolve) => (unlock = resolve)));
    return Promise.resolve(() => {
      this.locks.delete(key);
      unlock();
      return Promise.resolve();
    });
  }

  protected async waitForLock(key: string, ms: number): Promise<void> {
    const held = this.locks.get(key);
    if (!held) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([held, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
  }
}
