import type { RedisClient } from './redis.client';
import { LoginStateStore, type PendingSignIn } from './login-state.store';
import { storeCall } from './store-unavailable.error';

/** Pending sign-ins shared by every instance: a sign-in started on A can finish on B. */
export class RedisLoginStateStore extends LoginStateStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {
    super();
  }

  async put(state: string, pending: PendingSignIn, ttlSeconds: number): Promise<void> {
    await storeCall(() => this.redis.set(`${this.prefix}login:${state}`, JSON.stringify(pending), 'EX', ttlSeconds));
  }

  async take(state: string): Promise<PendingSignIn | undefined> {
    // GETDEL is atomic: two callbacks with one state cannot both get it.
    const raw = await storeCall(() => this.redis.getdel(`${this.prefix}login:${state}`));
    if (raw === null) return undefined;
    try {
      return JSON.parse(raw) as PendingSignIn;
    } catch {
      return undefined;
    }
  }
}
