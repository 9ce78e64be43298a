import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import { signInRateLimitErrors } from '../metrics';
import { StoreUnavailableError } from '../session';

/**
 * The sign-in rate limit's counters in the sessions' Redis, so N instances allow the limit once,
 * not N times. Fails closed: without Redis no sign-in could finish anyway (its pending state lives
 * there), so a sign-in answers 503 with Retry-After rather than skipping the limit.
 */
export class SharedThrottlerStorage implements ThrottlerStorage {
  constructor(
    private readonly inner: ThrottlerStorage,
    private readonly keyPrefix: string,
  ) {}

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    try {
      // The adapter hash-tags each key ({…}), so its two keys share a slot in Redis Cluster.
      return await this.inner.increment(`${this.keyPrefix}throttle:${key}`, ttl, limit, blockDuration, throttlerName);
    } catch {
      signInRateLimitErrors.inc();
      throw new StoreUnavailableError();
    }
  }
}
