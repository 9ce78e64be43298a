/**
 * What SESSION_STORE=redis adds to the session module: the client (ioredis) and the Redis stores.
 * SessionModule loads this file only in that case: ioredis and connect-redis are a sizeable part
 * of start-up that a service with memory sessions would pay for nothing (bench/RESULTS.md › Cold start).
 */
export { default as RedisStore } from 'connect-redis';
export { createRedisClient, whenReady } from './redis.client';
export { RedisGrantStore } from './redis-grant.store';
export { RedisLoginStateStore } from './redis-login-state.store';
