import type { RedisClient } from './redis.client';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { GrantStore, type GrantStoreOptions } from './grant.store';
import { storeCall } from './store-unavailable.error';

// Deletes the lock only if it is still ours: an expired lock may belong to someone else by now.
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/** Grants shared by every instance, with a Redis lock (SET NX PX) around refresh. */
export class RedisGrantStore extends GrantStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    options: GrantStoreOptions,
  ) {
    super(options);
  }

  protected async read(key: string): Promise<string | undefined> {
    return (await storeCall(() => this.redis.get(`${this.prefix}grant:${key}`))) ?? undefined;
  }

  protected async write(key: string, value: string, ttlMs: number): Promise<void> {
    await storeCall(() => this.redis.set(`${this.prefix}grant:${key}`, value, 'PX', ttlMs));
  }

  protected async remove(key: string): Promise<void> {
    await storeCall(() => this.redis.del(`${this.prefix}grant:${key}`));
  }

  protected async tryLock(key: string, ttlMs: number): Promise<(() => Promise<void>) | undefined> {
    const lockKey = `${this.prefix}lock:grant:${key}`;
    const owner = randomBytes(12).toString('base64url');
    const taken = await storeCall(() => this.redis.set(lockKey, owner, 'PX', ttlMs, 'NX'));
    if (taken !== 'OK') return undefined;
    return async () => {
      // A lost release only delays the next refresh until the lock expires.
      await this.redis.eval(RELEASE, 1, lockKey, owner).catch(() => undefined);
    };
  }

  protected async waitForLock(_key: string, ms: number): Promise<void> {
    // Polling is enough: a refresh takes one Webex round trip, and waiters are rare.
    await sleep(Math.min(ms, 25 + Math.random() * 25));
  }
}
