import { LRUCache } from 'lru-cache';
import { wallClock } from './bounded-memory.store';
import { FilePersistence } from './file-persistence';
import { atMostEntries } from './lru-bound';

/** A sign-in that went to Webex and has not come back yet, keyed by its `state`. */
export interface PendingSignIn {
  browserId: string;
  codeVerifier: string;
  /** Login with Webex: the id_token must carry this back (OpenID Connect Core §3.1.2.1). */
  nonce?: string;
  createdAt: number;
  /** The page to go back to after sign-in (checked when it is stored, and again when it is used). */
  returnTo?: string;
}

/**
 * Pending sign-ins live apart from the session, keyed by state, so that sign-ins started in
 * parallel tabs do not overwrite each other. `take` must be atomic: a state works once.
 */
export abstract class LoginStateStore {
  abstract put(state: string, pending: PendingSignIn, ttlSeconds: number): Promise<void>;
  abstract take(state: string): Promise<PendingSignIn | undefined>;
}

export class MemoryLoginStateStore extends LoginStateStore {
  private readonly cache: LRUCache<string, PendingSignIn>;
  private readonly persistence?: FilePersistence<PendingSignIn>;

  constructor(options: { max?: number; persistFile?: string } = {}) {
    super();
    this.cache = new LRUCache<string, PendingSignIn>({
      ...atMostEntries(options.max ?? 20_000),
      ttl: 600_000,
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

  put(state: string, pending: PendingSignIn, ttlSeconds: number): Promise<void> {
    this.cache.set(state, pending, { ttl: ttlSeconds * 1000 });
    this.persistence?.changed();
    return Promise.resolve();
  }

  take(state: string): Promise<PendingSignIn | undefined> {
    // get + delete with no await in between: one process, so nothing can interleave.
    const pending = this.cache.get(state);
    if (pending !== undefined) {
      this.cache.delete(state);
      this.persistence?.changed();
    }
    return Promise.resolve(pending);
  }
}
