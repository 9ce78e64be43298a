import { Logger } from '@nestjs/common';
import Redis from 'ioredis';

/**
 * A client that fails fast while Redis is away (no offline queue, short command timeout), so a
 * request gets a 503 in bounded time instead of hanging, and that reconnects by itself forever.
 */
export function createRedisClient(url: string, logger = new Logger('Redis')): Redis {
  const client = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 2000,
    retryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 5), 2000),
    lazyConnect: false,
  });
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
export function whenReady(client: Redis, ms: number): Promise<boolean> {
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
