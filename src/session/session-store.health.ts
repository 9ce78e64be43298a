import type { RedisClient } from './redis.client';

/** Whether the store behind sessions answers: readiness asks this, never Webex. */
export class SessionStoreHealth {
  constructor(
    readonly kind: 'memory' | 'redis',
    private readonly redis?: RedisClient,
  ) {}

  async ping(): Promise<void> {
    if (!this.redis) return;
    if (this.redis.status !== 'ready') throw new Error(`redis is ${this.redis.status}`);
    await this.redis.ping();
  }
}
