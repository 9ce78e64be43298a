import { Logger } from '@nestjs/common';
import Redis, { Cluster, type RedisOptions } from 'ioredis';
import { redisCredentialsOf } from '../config';

/** One Redis, a primary found through Sentinel, or a Cluster: the stores only use commands all three share. */
export type RedisClient = Redis | Cluster;

/** Where the service's Redis is: a URL, sentinels and the primary's name, or cluster nodes. */
export interface RedisLocation {
  redisUrl: string;
  redisSentinels?: { host: string; port: number }[];
  redisSentinelMaster?: string;
  redisClusterNodes?: { host: string; port: number }[];
}

/** Reconnects forever, backing off to at most 2 s (readiness and 503s say the rest meanwhile). */
const retryStrategy = (attempt: number) => Math.min(100 * 2 ** Math.min(attempt, 5), 2000);

/**
 * A client that fails fast while Redis is away (no offline queue, short command timeout), so a
 * request gets a 503 in bounded time instead of hanging, and that reconnects by itself forever.
 * With sentinels it asks them for the primary at every reconnect, so it follows a failover by itself.
 */
export function createRedisClient(location: RedisLocation | string, logger = new Logger('Redis')): RedisClient {
  const where: RedisLocation = typeof location === 'string' ? { redisUrl: location } : location;
  const options: RedisOptions = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 2000,
    retryStrategy,
    lazyConnect: false,
  };
  let client: RedisClient;
  if (where.redisClusterNodes) {
    // A cluster has database 0 only (configuration refuses another).
    const { username, password } = redisCredentialsOf(where.redisUrl);
    client = new Cluster(where.redisClusterNodes, {
      enableOfflineQueue: false,
      clusterRetryStrategy: retryStrategy,
      redisOptions: { ...options, username, password },
    });
  } else if (where.redisSentinels && where.redisSentinelMaster) {
    client = new Redis({
      ...options,
      // For the primary and its replicas; the sentinels themselves are asked without a password.
      ...redisCredentialsOf(where.redisUrl),
      sentinels: where.redisSentinels,
      name: where.redisSentinelMaster,
      role: 'master',
      sentinelRetryStrategy: retryStrategy,
      // A primary that a failover turned into a replica answers writes with READONLY: reconnect, and
      // the sentinels name the new primary.
      reconnectOnError: (error) => error.message.startsWith('READONLY'),
    });
  } else {
    client = new Redis(where.redisUrl, options);
  }
  let down = false;
  // Without an error listener ioredis would throw on the event emitter and end the process.
  client.on('error', (error: Error & { code?: string }) => {
    if (!down) logger.warn(`Redis unavailable (${error.code ?? error.name}); retrying in the background`);
    down = true;
  });
  client.on('ready', () => {
    if (down) logger.log('Redis is back');
    down = false;
  });
  return client;
}

/** Resolves when the client is ready, or after `ms` (start-up carries on; readiness says the rest). */
export function whenReady(client: RedisClient, ms: number): Promise<boolean> {
  if (client.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      resolve(false);
    }, ms);
    const onReady = () => {
      clearTimeout(timer);
      resolve(true);
    };
    client.once('ready', onReady);
  });
}
