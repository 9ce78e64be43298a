import { Store, type SessionData } from 'express-session';
import { LRUCache } from 'lru-cache';
import { FilePersistence } from './file-persistence';
import { atMostEntries } from './lru-bound';

/** Expiry follows the wall clock, like cookie expiry does (and like fake timers in specs). */
export const wallClock = { now: () => Date.now() };

/**
 * An express-session store for one process that expires idle sessions and never holds more
 * than `max` of them (least recently used go first), unlike express-session's MemoryStore.
 * Sessions are kept serialized, so a request can never mutate another request's copy.
 */
export class BoundedMemoryStore extends Store {
  private readonly cache: LRUCache<string, string>;
  private readonly persistence?: FilePersistence<string>;

  constructor(options: { max: number; ttlSeconds: number; persistFile?: string }) {
    super();
    this.cache = new LRUCache<string, string>({
      ...atMostEntries(options.max),
      ttl: options.ttlSeconds * 1000,
      perf: wallClock,
    });
    if (options.persistFile) {
      this.persistence = new FilePersistence(this.cache, options.persistFile);
      this.persistence.load();
    }
  }

  /** Writes pending changes now (development persistence only). */
  flush(): void {
    this.persistence?.flush();
  }

  get size(): number {
    return this.cache.size;
  }

  override get(sid: string, callback: (err: unknown, session?: SessionData | null) => void): void {
    const raw = this.cache.get(sid);
    callback(null, raw === undefined ? null : (JSON.parse(raw) as SessionData));
  }

  override set(sid: string, session: SessionData, callback?: (err?: unknown) => void): void {
    this.cache.set(sid, JSON.stringify(session), { ttl: ttlOf(session) });
    this.persistence?.changed();
    callback?.();
  }

  override touch(sid: string, session: SessionData, callback?: () => void): void {
    const raw = this.cache.get(sid);
    // A session that expired meanwhile stays gone: touching must not resurrect it.
    if (raw !== undefined) this.cache.set(sid, raw, { ttl: ttlOf(session) });
    this.persistence?.changed();
    callback?.();
  }

  override destroy(sid: string, callback?: (err?: unknown) => void): void {
    this.cache.delete(sid);
    this.persistence?.changed();
    callback?.();
  }

  override length(callback: (err: unknown, length?: number) => void): void {
    callback(null, this.cache.size);
  }

  override clear(callback?: (err?: unknown) => void): void {
    this.cache.clear();
    callback?.();
  }
}

/** The idle timeout travels in the cookie's expiry, which express-session rolls on every response. */
function ttlOf(session: SessionData): number | undefined {
  const expires = session.cookie?.expires;
  if (!expires) return undefined;
  const ms = new Date(expires).getTime() - Date.now();
  return ms > 0 ? ms : 1;
}
